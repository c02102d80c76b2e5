"""An in-memory, thread-safe :class:`OutboxStore` for tests, benchmarks and dev."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from notifications.messages import OutboxMessage, SendResult


@dataclass(frozen=True)
class AttemptRecord:
    """One recorded attempt at sending a message."""

    message_id: str
    at: datetime
    status: str
    provider_message_id: str | None
    reason: str | None


@dataclass
class OutboxRow:
    """A message and its sending state, as the SQL table would hold it."""

    message: OutboxMessage
    status: str = "pending"  # pending | sent | dead
    next_attempt_at: datetime | None = None
    leased_by: str | None = None
    lease_until: datetime | None = None
    provider_message_id: str | None = None
    sent_at: datetime | None = None
    acked_at: datetime | None = None
    last_error: str | None = None
    attempts: list[AttemptRecord] = field(default_factory=list)


class MemoryOutboxStore:
    """Implements :class:`notifications.outbox.OutboxStore` with a dict and a lock.

    Parameters
    ----------
    lease
        How long a claim lasts before another worker may take the message.
    """

    def __init__(self, lease: timedelta = timedelta(minutes=5)) -> None:
        self.lease = lease
        self._lock = threading.Lock()
        self._rows: dict[str, OutboxRow] = {}
        self._pruned: set[str] = set()
        self._fallen_back: set[str] = set()

    # The OutboxStore protocol.

    def enqueue(self, message: OutboxMessage) -> bool:
        with self._lock:
            if message.id in self._rows:
                return False
            self._rows[message.id] = OutboxRow(message=message)
            if message.fallback_of is not None:
                self._fallen_back.add(message.fallback_of)
            return True

    def claim_batch(self, worker_id: str, limit: int, now: datetime) -> list[OutboxMessage]:
        claimed: list[OutboxMessage] = []
        with self._lock:
            for row in self._rows.values():
                if len(claimed) >= limit:
                    break
                if not self._is_due(row, now):
                    continue
                row.leased_by, row.lease_until = worker_id, now + self.lease
                claimed.append(self._current(row))
        return claimed

    def record_attempt(self, message_id: str, result: SendResult, at: datetime) -> None:
        with self._lock:
            self._rows[message_id].attempts.append(
                AttemptRecord(
                    message_id, at, result.status, result.provider_message_id, result.reason
                )
            )

    def mark_sent(self, message_id: str, provider_message_id: str | None, at: datetime) -> None:
        with self._lock:
            row = self._release(message_id)
            row.status, row.provider_message_id, row.sent_at = "sent", provider_message_id, at

    def schedule_retry(self, message_id: str, at: datetime, reason: str) -> None:
        with self._lock:
            row = self._release(message_id)
            row.next_attempt_at, row.last_error = at, reason

    def dead_letter(self, message_id: str, reason: str) -> None:
        with self._lock:
            row = self._release(message_id)
            row.status, row.last_error = "dead", reason

    def prune_token(self, token: str) -> None:
        with self._lock:
            self._pruned.add(token)

    def due_for_fallback(self, now: datetime, ack_timeout: timedelta) -> list[OutboxMessage]:
        cutoff = now - ack_timeout
        with self._lock:
            return [
                self._current(row)
                for row in self._rows.values()
                if row.status == "sent"
                and row.message.channel == "push"
                and row.message.recipient.kind == "agent"
                and row.message.recipient.phone
                and row.acked_at is None
                and row.sent_at is not None
                and row.sent_at <= cutoff
                and row.message.id not in self._fallen_back
            ]

    # What the dispatch API does on the real table, and what tests look at.

    def acknowledge(self, message_id: str, at: datetime) -> None:
        """The app acknowledged the push (``POST /api/notifications/<id>/ack``)."""
        with self._lock:
            self._rows[message_id].acked_at = at

    def resend(self, message_id: str) -> None:
        """Put a dead letter back in the queue, due now."""
        with self._lock:
            row = self._rows[message_id]
            row.status, row.next_attempt_at = "pending", None

    def row(self, message_id: str) -> OutboxRow:
        """A snapshot of one row."""
        with self._lock:
            row = self._rows[message_id]
            return dataclasses.replace(row, attempts=list(row.attempts))

    def rows(self) -> list[OutboxRow]:
        """Snapshots of every row, in enqueue order."""
        with self._lock:
            return [dataclasses.replace(r, attempts=list(r.attempts)) for r in self._rows.values()]

    def counts(self) -> dict[str, int]:
        """Rows by status."""
        with self._lock:
            result: dict[str, int] = {"pending": 0, "sent": 0, "dead": 0}
            for row in self._rows.values():
                result[row.status] += 1
            return result

    @property
    def pruned_tokens(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._pruned)

    def _is_due(self, row: OutboxRow, now: datetime) -> bool:
        if row.status != "pending":
            return False
        if row.next_attempt_at is not None and row.next_attempt_at > now:
            return False
        return row.lease_until is None or row.lease_until < now

    def _current(self, row: OutboxRow) -> OutboxMessage:
        recipient = row.message.recipient
        tokens = tuple(t for t in recipient.device_tokens if t not in self._pruned)
        return dataclasses.replace(
            row.message,
            attempts=len(row.attempts),
            recipient=dataclasses.replace(recipient, device_tokens=tokens),
        )

    def _release(self, message_id: str) -> OutboxRow:
        row = self._rows[message_id]
        row.leased_by, row.lease_until = None, None
        return row
