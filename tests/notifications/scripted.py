"""A channel whose answers a test scripts, message by message."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence

from notifications.messages import OutboxMessage, SendResult


class ScriptedChannel:
    """Answers each message id from its script, then ``sent``; records every call."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[list[str]] = []
        self._scripts: dict[str, deque[SendResult]] = defaultdict(deque)
        self._default: deque[SendResult] = deque()

    def script(self, message_id: str, *results: SendResult) -> None:
        self._scripts[message_id].extend(results)

    def script_all(self, *results: SendResult) -> None:
        """Answers for any message without its own script, in turn."""
        self._default.extend(results)

    def send_batch(self, messages: Sequence[OutboxMessage]) -> list[SendResult]:
        self.calls.append([m.id for m in messages])
        return [self._answer(m) for m in messages]

    def sent_ids(self) -> list[str]:
        return [i for call in self.calls for i in call]

    def _answer(self, message: OutboxMessage) -> SendResult:
        script = self._scripts.get(message.id) or self._default
        if script:
            return script.popleft()
        return SendResult.sent(f"scripted-{message.id[:8]}")
