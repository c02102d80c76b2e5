"""The channel protocol every provider implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from notifications.messages import OutboxMessage, SendResult


@runtime_checkable
class Channel(Protocol):
    """Sends messages through one provider.

    ``send_batch`` returns exactly one :class:`SendResult` per message, in the same order.
    It must not raise for a per-message failure (map it to ``retry`` or ``dead``); an
    exception means the whole batch failed and the sender retries all of it.
    """

    @property
    def name(self) -> str: ...

    def send_batch(self, messages: Sequence[OutboxMessage]) -> list[SendResult]: ...
