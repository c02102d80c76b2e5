"""The sending side of the outbox: the store protocol and the sender that drains it."""

from __future__ import annotations

import logging
import os
import random
import socket
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Protocol

from notifications.channels.base import Channel
from notifications.messages import OutboxMessage, SendResult
from notifications.schedule import QuietHours, RetryPolicy

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
DEFAULT_QUIET_HOURS = QuietHours()


def utc_now() -> datetime:
    return datetime.now(UTC)


class OutboxStore(Protocol):
    """Where outbox rows live; the dispatch service implements it with SQLAlchemy.

    Every method is its own transaction and commits before it returns; in particular
    ``claim_batch`` commits the lease before any message is sent.

    Row life: ``pending`` (due at ``next_attempt_at``) -> leased by a worker -> ``sent``,
    back to ``pending`` with a later ``next_attempt_at``, or ``dead`` (dead letters, which
    a dispatcher can see and resend by making the row ``pending`` again).
    """

    def enqueue(self, message: OutboxMessage) -> bool:
        """Add a pending message due now; a message whose id exists already is ignored.

        Returns whether it was added. Idempotence on ``id`` is what makes derived
        messages (SMS fallbacks) safe to enqueue twice.
        """
        ...

    def claim_batch(self, worker_id: str, limit: int, now: datetime) -> list[OutboxMessage]:
        """Lease up to ``limit`` due messages to ``worker_id`` and return them.

        Due: ``pending``, ``next_attempt_at`` null or <= ``now``, and not leased, or leased
        with ``lease_until`` < ``now``. Claimed rows get ``leased_by = worker_id`` and
        ``lease_until = now + lease`` (the lease is the store's setting, longer than a
        batch can take). A worker that crashes leaves its lease to expire; another worker
        (or the same one restarted) then claims the rows again and sends them again, which
        is why delivery is at least once. PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED``
        then ``UPDATE``, one transaction, so two workers never claim one row. SQLite:
        ``BEGIN IMMEDIATE`` (a write lock for the select and update together).
        Each returned message has ``attempts`` = attempts recorded so far and recipient
        device tokens as currently registered (pruned tokens left out), oldest first.
        """
        ...

    def record_attempt(self, message_id: str, result: SendResult, at: datetime) -> None:
        """Append an attempt row (status, provider id, reason) and add 1 to ``attempts``."""
        ...

    def mark_sent(self, message_id: str, provider_message_id: str | None, at: datetime) -> None:
        """Status ``sent``, ``sent_at = at``, keep the provider's id, release the lease."""
        ...

    def schedule_retry(self, message_id: str, at: datetime, reason: str) -> None:
        """Keep ``pending``, set ``next_attempt_at = at``, note ``reason``, release the lease."""
        ...

    def dead_letter(self, message_id: str, reason: str) -> None:
        """Status ``dead`` with ``reason``, release the lease."""
        ...

    def prune_token(self, token: str) -> None:
        """Remove a device token the provider says is dead from the device registry."""
        ...

    def due_for_fallback(self, now: datetime, ack_timeout: timedelta) -> list[OutboxMessage]:
        """Agent pushes that were sent at or before ``now - ack_timeout`` and not acknowledged.

        Only ``channel == "push"`` messages to agents with a phone number, and none for
        which a message with ``fallback_of == id`` exists already.
        """
        ...


@dataclass
class SendReport:
    """What one or more sender passes did."""

    batches: int = 0
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0
    fallbacks: int = 0
    pruned_tokens: int = 0

    def add(self, other: SendReport) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class Sender:
    """Claims due outbox messages, sends them through their channels, settles every one.

    Parameters
    ----------
    worker_id
        The lease owner name; by default host, pid and a random suffix.
    batch_size
        Messages claimed per pass.
    retry
        Backoff, jitter and the attempt limit.
    quiet_hours
        When non-urgent SMS to villagers wait (``None``: never).
    ack_timeout
        How long an agent push may stay unacknowledged before an SMS follows (``None``: no
        ack fallback; permanent push failures still fall back).
    now_fn
        The clock.
    rng
        Randomness for the jitter.
    """

    def __init__(
        self,
        *,
        worker_id: str | None = None,
        batch_size: int = 500,
        retry: RetryPolicy | None = None,
        quiet_hours: QuietHours | None = DEFAULT_QUIET_HOURS,
        ack_timeout: timedelta | None = timedelta(minutes=15),
        now_fn: Clock = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"Sender.batch_size must be >= 1, got {batch_size!r}")
        self.worker_id = worker_id or default_worker_id()
        self.batch_size = batch_size
        self.retry = retry or RetryPolicy()
        self.quiet_hours = quiet_hours
        self.ack_timeout = ack_timeout
        self.now_fn = now_fn
        self._rng = rng or random.Random()

    def run_once(self, store: OutboxStore, channels: Mapping[str, Channel]) -> SendReport:
        """One pass: enqueue due SMS fallbacks, claim one batch, send it, settle it."""
        report = SendReport()
        now = self.now_fn()
        if self.ack_timeout is not None:
            for message in store.due_for_fallback(now, self.ack_timeout):
                report.fallbacks += self._fall_back(store, message)
        batch = store.claim_batch(self.worker_id, self.batch_size, now)
        if not batch:
            return report
        report.batches, report.claimed = 1, len(batch)
        by_channel: dict[str, list[OutboxMessage]] = defaultdict(list)
        for message in batch:
            if self.quiet_hours is not None and self._in_quiet_hours(message, now):
                end = self.quiet_hours.next_end(now)
                store.schedule_retry(message.id, end, "quiet hours")
                report.deferred += 1
            else:
                by_channel[message.channel].append(message)
        for name, messages in by_channel.items():
            results = self._send(channels.get(name), name, messages)
            settled_at = self.now_fn()
            for message, result in zip(messages, results, strict=True):
                self._settle(store, message, result, settled_at, report)
        return report

    def drain(
        self,
        store: OutboxStore,
        channels: Mapping[str, Channel],
        now_fn: Clock | None = None,
        max_batches: int | None = None,
    ) -> SendReport:
        """Run passes until nothing is due or ``max_batches`` batches were sent."""
        if now_fn is not None:
            self.now_fn = now_fn
        total = SendReport()
        while max_batches is None or total.batches < max_batches:
            report = self.run_once(store, channels)
            total.add(report)
            if not report.claimed:
                break
        return total

    def _in_quiet_hours(self, message: OutboxMessage, now: datetime) -> bool:
        return (
            self.quiet_hours is not None
            and message.channel == "sms"
            and message.recipient.kind in ("villager", "staff")
            and not message.urgent
            and self.quiet_hours.is_quiet(now)
        )

    def _send(
        self, channel: Channel | None, name: str, messages: Sequence[OutboxMessage]
    ) -> list[SendResult]:
        if channel is None:
            return [SendResult.retry(f"no channel configured for {name!r}")] * len(messages)
        try:
            results = channel.send_batch(messages)
        except Exception as error:  # a broken channel must not stop the worker
            logger.exception("channel %s failed on a batch of %d", name, len(messages))
            return [SendResult.retry(f"channel {name} failed: {error!r}")] * len(messages)
        if len(results) != len(messages):
            logger.error("channel %s returned %d results for %d", name, len(results), len(messages))
            return [SendResult.retry(f"channel {name} returned a wrong count")] * len(messages)
        return results

    def _settle(
        self,
        store: OutboxStore,
        message: OutboxMessage,
        result: SendResult,
        now: datetime,
        report: SendReport,
    ) -> None:
        store.record_attempt(message.id, result, now)
        for token in result.dead_tokens:
            store.prune_token(token)
            report.pruned_tokens += 1
        attempts = message.attempts + 1
        if result.status == "sent":
            store.mark_sent(message.id, result.provider_message_id, now)
            report.sent += 1
        elif result.status == "retry" and attempts < self.retry.max_attempts:
            delay = self.retry.delay(attempts, result.retry_after, self._rng)
            store.schedule_retry(message.id, now + timedelta(seconds=delay), result.reason or "")
            report.retried += 1
        else:
            reason = result.reason or "failed"
            if result.status == "retry":
                reason = f"gave up after {attempts} attempts: {reason}"
            store.dead_letter(message.id, reason)
            report.dead += 1
            report.fallbacks += self._fall_back(store, message)

    def _fall_back(self, store: OutboxStore, message: OutboxMessage) -> int:
        """Enqueue the SMS that replaces an agent push; returns 1 if one was added."""
        if message.channel != "push" or message.recipient.kind != "agent":
            return 0
        if message.fallback_of is not None or not message.recipient.phone:
            return 0
        return int(store.enqueue(message.sms_fallback()))
