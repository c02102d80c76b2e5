"""The values that travel between the outbox, the sender and the channels."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from notifications.templates import TEMPLATES

ChannelName = Literal["push", "sms", "log"]
RecipientKind = Literal["agent", "villager", "staff"]
SendStatus = Literal["sent", "retry", "dead"]

CHANNEL_NAMES: tuple[ChannelName, ...] = ("push", "sms", "log")
RECIPIENT_KINDS: tuple[RecipientKind, ...] = ("agent", "villager", "staff")
SEND_STATUSES: tuple[SendStatus, ...] = ("sent", "retry", "dead")

# uuid5 namespace for ids derived from other messages (SMS fallbacks), so that deriving the
# same fallback twice gives the same id and the store's idempotent enqueue drops the copy.
FALLBACK_NAMESPACE = uuid.UUID("7c0f8a52-3d1e-4f5b-9a57-1f2d3c4b5a69")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Recipient:
    """Who a message is for: an agent (push, SMS fallback), a villager (SMS) or a staff user
    such as a township dispatcher or a county supervisor (SMS).

    Parameters
    ----------
    kind
        ``"agent"``, ``"villager"`` or ``"staff"``.
    ref
        The id of the agent, villager or staff user in the dispatch service.
    phone
        Mainland mobile number for SMS, or ``None``.
    device_tokens
        Push tokens registered through ``POST /api/devices``; empty for villagers.
    """

    kind: RecipientKind
    ref: str
    phone: str | None = None
    device_tokens: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in RECIPIENT_KINDS:
            raise ValueError(f"Recipient.kind must be one of {RECIPIENT_KINDS}, got {self.kind!r}")
        if not self.ref:
            raise ValueError(f"Recipient.ref must be a non-empty id, got {self.ref!r}")
        if isinstance(self.device_tokens, str | list):
            raise ValueError(
                f"Recipient.device_tokens must be a tuple of tokens, got {self.device_tokens!r}"
            )


@dataclass(frozen=True)
class OutboxMessage:
    """One row of the outbox, as the sender sees it.

    Parameters
    ----------
    id
        A UUID string; the de-duplication key that the app and the providers see.
    kind
        A template key from :data:`notifications.templates.TEMPLATES`.
    channel
        ``"push"``, ``"sms"`` or ``"log"``: which channel sends it.
    recipient
        Who gets it.
    variables
        Template variables; values are rendered with ``str()``.
    data
        Extra string fields for push data messages (``plan_version`` and the like).
    urgent
        Urgent messages ignore quiet hours and go out with high priority.
    attempts
        How many attempts the store has recorded so far.
    created_at
        When the row was written (timezone-aware).
    fallback_of
        For an SMS fallback, the id of the push message it replaces.
    """

    id: str
    kind: str
    channel: ChannelName
    recipient: Recipient
    variables: Mapping[str, object] = field(default_factory=dict)
    data: Mapping[str, str] = field(default_factory=dict)
    urgent: bool = False
    attempts: int = 0
    created_at: datetime = field(default_factory=_utc_now)
    fallback_of: str | None = None

    def __post_init__(self) -> None:
        try:
            uuid.UUID(self.id)
        except (ValueError, TypeError, AttributeError):
            raise ValueError(f"OutboxMessage.id must be a UUID string, got {self.id!r}") from None
        if self.kind not in TEMPLATES:
            raise ValueError(f"OutboxMessage.kind must be a template key, got {self.kind!r}")
        if self.channel not in CHANNEL_NAMES:
            raise ValueError(
                f"OutboxMessage.channel must be one of {CHANNEL_NAMES}, got {self.channel!r}"
            )
        bad = {k: v for k, v in self.data.items() if not isinstance(v, str)}
        if bad:
            raise ValueError(f"OutboxMessage.data values must be strings, got {bad!r}")
        if self.attempts < 0:
            raise ValueError(f"OutboxMessage.attempts must be >= 0, got {self.attempts!r}")
        if self.created_at.tzinfo is None:
            raise ValueError(
                f"OutboxMessage.created_at must be timezone-aware, got {self.created_at!r}"
            )

    def sms_fallback(self) -> OutboxMessage:
        """Return the SMS that replaces this push; its id is derived, so it is stable."""
        return OutboxMessage(
            id=str(uuid.uuid5(FALLBACK_NAMESPACE, self.id)),
            kind=self.kind,
            channel="sms",
            recipient=self.recipient,
            variables=dict(self.variables),
            data=dict(self.data),
            urgent=self.urgent,
            fallback_of=self.id,
        )


@dataclass(frozen=True)
class SendResult:
    """What a channel says about one message.

    Parameters
    ----------
    status
        ``"sent"``: the provider accepted it. ``"retry"``: a transient failure; try again
        later. ``"dead"``: it can never be sent as it is; dead-letter it.
    provider_message_id
        The provider's id (FCM message name, Aliyun BizId, ``log-<n>``) when sent.
    retry_after
        Seconds the provider asked us to wait (Retry-After), if it said so.
    reason
        A short human-readable reason for a retry or a dead letter.
    dead_tokens
        Device tokens the provider reported as unregistered; the sender prunes them.
    """

    status: SendStatus
    provider_message_id: str | None = None
    retry_after: float | None = None
    reason: str | None = None
    dead_tokens: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in SEND_STATUSES:
            raise ValueError(
                f"SendResult.status must be one of {SEND_STATUSES}, got {self.status!r}"
            )
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError(f"SendResult.retry_after must be >= 0, got {self.retry_after!r}")

    @classmethod
    def sent(cls, provider_message_id: str, dead_tokens: tuple[str, ...] = ()) -> SendResult:
        return cls("sent", provider_message_id=provider_message_id, dead_tokens=dead_tokens)

    @classmethod
    def retry(
        cls, reason: str, retry_after: float | None = None, dead_tokens: tuple[str, ...] = ()
    ) -> SendResult:
        return cls("retry", retry_after=retry_after, reason=reason, dead_tokens=dead_tokens)

    @classmethod
    def dead(cls, reason: str, dead_tokens: tuple[str, ...] = ()) -> SendResult:
        return cls("dead", reason=reason, dead_tokens=dead_tokens)
