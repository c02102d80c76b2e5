"""The dev default: records what would have gone out, for a dispatcher to see."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from notifications.messages import OutboxMessage, SendResult
from notifications.templates import get_template

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoggedMessage:
    """One message the log channel 'sent'."""

    provider_message_id: str
    message_id: str
    kind: str
    channel: str
    recipient_ref: str
    title: str
    text: str
    at: datetime


class LogChannel:
    """Records messages in memory and in the log; every message is 'sent' as ``log-<n>``.

    Parameters
    ----------
    name
        The channel name the sender routes by (``"log"``, or ``"push"``/``"sms"`` in dev).
    keep
        How many recent messages to keep in :attr:`sent` (oldest dropped first).
    """

    def __init__(self, name: str = "log", keep: int = 10_000) -> None:
        self._name = name
        self._keep = keep
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._sent: list[LoggedMessage] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def sent(self) -> list[LoggedMessage]:
        """A copy of the messages recorded so far, oldest first."""
        with self._lock:
            return list(self._sent)

    def send_batch(self, messages: Sequence[OutboxMessage]) -> list[SendResult]:
        return [self._send(m) for m in messages]

    def _send(self, message: OutboxMessage) -> SendResult:
        try:
            rendered = get_template(message.kind).render(message.variables)
        except ValueError as error:
            return SendResult.dead(str(error))
        with self._lock:
            provider_id = f"log-{next(self._counter)}"
            self._sent.append(
                LoggedMessage(
                    provider_message_id=provider_id,
                    message_id=message.id,
                    kind=message.kind,
                    channel=message.channel,
                    recipient_ref=message.recipient.ref,
                    title=rendered.title,
                    text=rendered.text,
                    at=datetime.now(UTC),
                )
            )
            del self._sent[: -self._keep]
        logger.info(
            "notification %s %s to %s %s via %s: %s",
            provider_id,
            message.kind,
            message.recipient.kind,
            message.recipient.ref,
            message.channel,
            rendered.body_zh,
        )
        return SendResult.sent(provider_id)
