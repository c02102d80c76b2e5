"""The outbox: messages written with the change that causes them, sent afterwards."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, scoped_session

from dispatch.models.base import Base, utcnow
from dispatch.models.types import Encrypted


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


class OutboxMessage(Base):
    __tablename__ = "outbox"

    # A uuid: also the de-duplication key the phone app sees.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))  # push / sms / log
    recipient_kind: Mapped[str] = mapped_column(String(10))  # agent / villager
    recipient_id: Mapped[int]
    phone: Mapped[str] = mapped_column(Encrypted("outbox.phone"), default="")
    variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    urgent: Mapped[bool] = mapped_column(default=False)
    township_code: Mapped[str] = mapped_column(String(12), default="", index=True)
    status: Mapped[OutboxStatus] = mapped_column(
        String(10), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str] = mapped_column(String(60), default="")
    provider_message_id: Mapped[str] = mapped_column(String(120), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    acked_at: Mapped[datetime | None]
    fallback_of: Mapped[str | None] = mapped_column(ForeignKey("outbox.id"))

    attempt_log: Mapped[list[OutboxAttempt]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="OutboxAttempt.id"
    )


class OutboxAttempt(Base):
    __tablename__ = "outbox_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(12))
    provider_message_id: Mapped[str] = mapped_column(String(120), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    worker: Mapped[str] = mapped_column(String(60), default="")

    message: Mapped[OutboxMessage] = relationship(back_populates="attempt_log")


class Device(Base):
    """An agent's phone registered for push."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(400), unique=True)
    platform: Mapped[str] = mapped_column(String(20))
    app_version: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


def enqueue(
    session: Session | scoped_session[Any],
    kind: str,
    channel: str,
    recipient_kind: str,
    recipient_id: int,
    *,
    phone: str = "",
    variables: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    urgent: bool = False,
    township_code: str = "",
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the session; it commits with the change that caused it."""
    message = OutboxMessage(
        id=str(uuid.uuid4()),
        kind=kind,
        channel=channel,
        recipient_kind=recipient_kind,
        recipient_id=recipient_id,
        phone=phone,
        variables=variables or {},
        data=data or {},
        urgent=urgent,
        township_code=township_code,
        next_attempt_at=not_before or datetime.now(UTC),
    )
    session.add(message)
    return message
