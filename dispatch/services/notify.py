"""The outbox's use cases: an agent's device and acknowledgements, the dispatcher's list and
resend. The store the sender drains, and the sender's wiring, are :mod:`dispatch.outbox_sender`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from dispatch.errors import Conflict, Forbidden, NotFound
from dispatch.models.outbox import Device, OutboxMessage, OutboxStatus
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope
from dispatch.privacy import message_shown
from dispatch.services.access_records import note_answer


def register_device(
    session: DbSession, scope: Scope, token: str, platform: str, app_version: str
) -> Device:
    if scope.role != Role.AGENT or scope.agent_id is None:
        raise Forbidden("只有代办员可以注册设备 / Only agents register devices")
    device = session.scalar(select(Device).where(Device.token == token))
    now = datetime.now(UTC)
    if device is None:
        device = Device(agent_id=scope.agent_id, token=token, platform=platform)
        session.add(device)
    device.agent_id, device.platform, device.app_version = scope.agent_id, platform, app_version
    device.last_seen_at = now
    session.commit()
    return device


def acknowledge(session: DbSession, scope: Scope, message_id: str) -> OutboxMessage:
    row = session.get(OutboxMessage, message_id)
    if row is None or row.recipient_kind != "agent" or row.recipient_id != scope.agent_id:
        raise NotFound(f"没有消息 {message_id} / No message {message_id} for you")
    if row.acked_at is None:
        row.acked_at = datetime.now(UTC)
        session.commit()
    return row


def list_outbox(scope: Scope, status: str | None = None, channel: str | None = None) -> Any:
    if scope.role not in (Role.ADMIN, Role.DISPATCHER, Role.SUPERVISOR):
        raise Forbidden("无权查看消息队列 / Your role cannot see the outbox")
    stmt = select(OutboxMessage).where(OutboxMessage.township_code.like(f"{scope.prefix}%"))
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    if channel:
        stmt = stmt.where(OutboxMessage.channel == channel)
    return stmt.order_by(OutboxMessage.created_at.desc())


def resend(session: DbSession, scope: Scope, message_id: str) -> OutboxMessage:
    """Put a dead or sent message back in the queue (the dispatcher's resend button)."""
    if scope.role not in (Role.ADMIN, Role.DISPATCHER):
        raise Forbidden("只有调度员可以重发 / Only a dispatcher can resend")
    row = session.get(OutboxMessage, message_id)
    if row is None or not row.township_code.startswith(scope.prefix):
        raise NotFound(f"没有消息 {message_id} / No message {message_id} in your region")
    if row.status == OutboxStatus.PENDING:
        raise Conflict("消息已在队列中 / The message is already queued")
    row.status, row.next_attempt_at, row.lease_until = (
        OutboxStatus.PENDING,
        datetime.now(UTC),
        None,
    )
    row.attempts = 0
    note_answer(session, scope, message_shown, row)
    session.commit()
    return row
