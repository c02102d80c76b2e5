"""The SQL side of the outbox: a store for the ``notifications`` sender, and its wiring (the
channels and the sender from the configuration, the Celery beat's one pass). Not business
rules: the outbox's use cases (devices, acknowledgements, the dispatcher's list and resend) are
:mod:`dispatch.services.notify`.

Claiming is safe with several senders: PostgreSQL uses ``FOR UPDATE SKIP LOCKED``; SQLite
claims row by row with a compare-and-set ``UPDATE`` whose ``rowcount`` says who won.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import CursorResult, and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from dispatch.extensions import db
from dispatch.models.outbox import Device, OutboxAttempt, OutboxMessage, OutboxStatus
from dispatch.models.session import DbSession
from notifications import messages as nm
from notifications.channels import Channel, LogChannel
from notifications.channels.fcm import FcmChannel, FcmConfig
from notifications.channels.sms import AliyunSmsChannel, AliyunSmsConfig
from notifications.outbox import Sender, SendReport
from notifications.templates import parse_template_codes, unconfigured

LEASE = timedelta(minutes=2)
# "Due now" for rows the sender itself enqueues: its clock may be a moment behind ours.
DUE_AT_ONCE = datetime(2000, 1, 1, tzinfo=UTC)

log = logging.getLogger(__name__)


def _data(values: Mapping[str, Any]) -> dict[str, str]:
    """Push data must be strings: lists and numbers are JSON-encoded."""
    return {
        k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in values.items()
    }


class SqlOutboxStore:
    """``notifications.outbox.OutboxStore`` on the service's database; commits per call."""

    def __init__(self, session: DbSession, lease: timedelta = LEASE) -> None:
        self.session = session
        self.lease = lease

    def _to_message(self, row: OutboxMessage) -> nm.OutboxMessage:
        tokens: tuple[str, ...] = ()
        if row.recipient_kind == "agent":
            tokens = tuple(
                self.session.scalars(
                    select(Device.token)
                    .where(Device.agent_id == row.recipient_id)
                    .order_by(Device.id)
                )
            )
        return nm.OutboxMessage(
            id=row.id,
            kind=row.kind,
            channel=row.channel,  # type: ignore[arg-type]
            recipient=nm.Recipient(
                kind=row.recipient_kind,  # type: ignore[arg-type]
                ref=str(row.recipient_id),
                phone=row.phone or None,
                device_tokens=tokens,
            ),
            variables=dict(row.variables),
            data=_data(row.data | {"message_id": row.id}),
            urgent=row.urgent,
            attempts=row.attempts,
            created_at=row.created_at,
            fallback_of=row.fallback_of,
        )

    def enqueue(self, message: nm.OutboxMessage) -> bool:
        if self.session.get(OutboxMessage, message.id) is not None:
            return False
        self.session.add(
            OutboxMessage(
                id=message.id,
                kind=message.kind,
                channel=message.channel,
                recipient_kind=message.recipient.kind,
                recipient_id=int(message.recipient.ref),
                phone=message.recipient.phone or "",
                variables=dict(message.variables),
                data=dict(message.data),
                urgent=message.urgent,
                fallback_of=message.fallback_of,
                township_code=self._township_of(message.fallback_of),
                next_attempt_at=DUE_AT_ONCE,
            )
        )
        self.session.commit()
        return True

    def _township_of(self, message_id: str | None) -> str:
        parent = self.session.get(OutboxMessage, message_id) if message_id else None
        return parent.township_code if parent else ""

    def _due(self, now: datetime) -> Any:
        return and_(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
        )

    def claim_batch(self, worker_id: str, limit: int, now: datetime) -> list[nm.OutboxMessage]:
        until = now + self.lease
        stmt = (
            select(OutboxMessage)
            .where(self._due(now))
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            rows = list(self.session.scalars(stmt.with_for_update(skip_locked=True)))
            for row in rows:
                row.lease_until, row.claimed_by = until, worker_id
        else:
            rows = []
            for candidate in list(self.session.scalars(stmt)):
                # An UPDATE's result is a CursorResult, the type that has ``rowcount``.
                won = cast(
                    CursorResult[Any],
                    self.session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id == candidate.id, self._due(now))
                        .values(lease_until=until, claimed_by=worker_id)
                        .execution_options(synchronize_session=False)
                    ),
                ).rowcount
                if won:
                    rows.append(candidate)
        self.session.commit()
        for row in rows:
            self.session.refresh(row)
        return [self._to_message(r) for r in rows]

    def record_attempt(self, message_id: str, result: nm.SendResult, at: datetime) -> None:
        row = self.session.get(OutboxMessage, message_id)
        if row is None:
            return
        row.attempts += 1
        row.attempt_log.append(
            OutboxAttempt(
                at=at,
                status=result.status,
                provider_message_id=result.provider_message_id or "",
                error=result.reason or "",
                worker=row.claimed_by,
            )
        )
        self.session.commit()

    def _settle(self, message_id: str, **values: Any) -> None:
        self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(lease_until=None, **values)
        )
        self.session.commit()

    def mark_sent(self, message_id: str, provider_message_id: str | None, at: datetime) -> None:
        self._settle(
            message_id,
            status=OutboxStatus.SENT,
            sent_at=at,
            provider_message_id=provider_message_id or "",
        )

    def schedule_retry(self, message_id: str, at: datetime, reason: str) -> None:
        self._settle(message_id, next_attempt_at=at, last_error=reason)

    def dead_letter(self, message_id: str, reason: str) -> None:
        self._settle(message_id, status=OutboxStatus.DEAD, last_error=reason)

    def prune_token(self, token: str) -> None:
        device = self.session.scalar(select(Device).where(Device.token == token))
        if device is not None:
            self.session.delete(device)
            self.session.commit()

    def due_for_fallback(self, now: datetime, ack_timeout: timedelta) -> list[nm.OutboxMessage]:
        fallback = aliased(OutboxMessage)
        rows = self.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == "push",
                OutboxMessage.recipient_kind == "agent",
                OutboxMessage.phone != "",
                OutboxMessage.status == OutboxStatus.SENT,
                OutboxMessage.acked_at.is_(None),
                OutboxMessage.sent_at <= now - ack_timeout,
                ~exists().where(fallback.fallback_of == OutboxMessage.id),
            )
            .order_by(OutboxMessage.created_at)
            .limit(500)
        )
        return [self._to_message(r) for r in rows]


def build_channels(app: Flask) -> dict[str, Channel]:
    """Channels from config: the log channel unless FCM or Aliyun SMS are configured."""
    cfg = app.config
    channels: dict[str, Channel] = {"log": LogChannel()}
    if cfg["PUSH_CHANNEL"] == "fcm":
        channels["push"] = FcmChannel(
            FcmConfig(
                credentials_file=cfg["FCM_CREDENTIALS"],
                fcm_url=cfg["FCM_URL"] or None,
                http_timeout=cfg["FCM_TIMEOUT_S"],
            )
        )
    else:
        channels["push"] = LogChannel("push")
    if cfg["SMS_CHANNEL"] == "aliyun":
        codes = parse_template_codes(cfg["SMS_TEMPLATE_CODES"])
        if unconfigured(codes):
            log.warning(
                "SMS templates on their placeholder codes (set DAIBAN_SMS_TEMPLATE_CODES): %s",
                ", ".join(unconfigured(codes)),
            )
        channels["sms"] = AliyunSmsChannel(
            AliyunSmsConfig(
                access_key_id=cfg["SMS_ACCESS_KEY_ID"],
                access_key_secret=cfg["SMS_ACCESS_KEY_SECRET"],
                sign_name=cfg["SMS_SIGN_NAME"],
                endpoint=cfg["SMS_ENDPOINT"],
                template_codes=codes,
            )
        )
    else:
        channels["sms"] = LogChannel("sms")
    return channels


def make_sender(app: Flask) -> Sender:
    return Sender(
        batch_size=app.config["OUTBOX_BATCH"],
        ack_timeout=timedelta(seconds=app.config["PUSH_ACK_TIMEOUT_S"]),
    )


@contextmanager
def store_scope() -> Iterator[SqlOutboxStore]:
    """A store on the app's session with the configured lease; the session ends with it."""
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_S"])
    try:
        yield SqlOutboxStore(db.session, lease=lease)
    finally:
        db.session.remove()


def drain_once() -> int:
    """One pass of the sender (the Celery beat task); returns how many were sent."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    channels = app.extensions.setdefault("daiban_channels", build_channels(app))
    with store_scope() as store:
        report: SendReport = make_sender(app).run_once(store, channels)
    return report.sent
