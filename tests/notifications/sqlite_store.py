"""A file-backed :class:`OutboxStore` on stdlib sqlite3, with lease-based claiming.

It shows the SQLite "safe equivalent" of ``FOR UPDATE SKIP LOCKED``: ``BEGIN IMMEDIATE``
takes the database write lock, so the select of due rows and the update that leases them
are one step no other worker can interleave with. The SIGKILL test runs a worker on it.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from notifications.messages import OutboxMessage, Recipient, SendResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    payload TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    next_attempt_at REAL,
    leased_by TEXT,
    lease_until REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    provider_message_id TEXT,
    sent_at REAL,
    acked_at REAL,
    last_error TEXT,
    fallback_of TEXT
);
CREATE TABLE IF NOT EXISTS attempts (
    message_id TEXT NOT NULL, at REAL NOT NULL, status TEXT NOT NULL,
    provider_message_id TEXT, reason TEXT
);
CREATE TABLE IF NOT EXISTS pruned_tokens (token TEXT PRIMARY KEY);
"""


def _ts(at: datetime) -> float:
    return at.timestamp()


def encode(message: OutboxMessage) -> str:
    r = message.recipient
    return json.dumps(
        {
            "id": message.id,
            "kind": message.kind,
            "channel": message.channel,
            "recipient": [r.kind, r.ref, r.phone, list(r.device_tokens)],
            "variables": {k: str(v) for k, v in message.variables.items()},
            "data": dict(message.data),
            "urgent": message.urgent,
            "created_at": message.created_at.isoformat(),
            "fallback_of": message.fallback_of,
        },
        ensure_ascii=False,
    )


def decode(payload: str, attempts: int, pruned: set[str]) -> OutboxMessage:
    d: dict[str, Any] = json.loads(payload)
    kind, ref, phone, tokens = d["recipient"]
    return OutboxMessage(
        id=d["id"],
        kind=d["kind"],
        channel=d["channel"],
        recipient=Recipient(kind, ref, phone, tuple(t for t in tokens if t not in pruned)),
        variables=d["variables"],
        data=d["data"],
        urgent=d["urgent"],
        attempts=attempts,
        created_at=datetime.fromisoformat(d["created_at"]),
        fallback_of=d["fallback_of"],
    )


class SqliteOutboxStore:
    """One connection per store; each method is one transaction (autocommit otherwise)."""

    def __init__(self, path: Path | str, lease: timedelta = timedelta(seconds=30)) -> None:
        self.lease = lease
        self._db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def enqueue(self, message: OutboxMessage) -> bool:
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO outbox (id, payload, channel, fallback_of) VALUES (?, ?, ?, ?)",
            (message.id, encode(message), message.channel, message.fallback_of),
        )
        return cursor.rowcount == 1

    def enqueue_many(self, messages: list[OutboxMessage]) -> None:
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO outbox (id, payload, channel, fallback_of) VALUES (?,?,?,?)",
                [(m.id, encode(m), m.channel, m.fallback_of) for m in messages],
            )

    def claim_batch(self, worker_id: str, limit: int, now: datetime) -> list[OutboxMessage]:
        t = _ts(now)
        with self._transaction():
            rows = self._db.execute(
                "SELECT id, payload, attempts FROM outbox WHERE status = 'pending'"
                " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
                " AND (lease_until IS NULL OR lease_until < ?) ORDER BY seq LIMIT ?",
                (t, t, limit),
            ).fetchall()
            self._db.executemany(
                "UPDATE outbox SET leased_by = ?, lease_until = ? WHERE id = ?",
                [(worker_id, t + self.lease.total_seconds(), r[0]) for r in rows],
            )
            pruned = {r[0] for r in self._db.execute("SELECT token FROM pruned_tokens")}
        return [decode(payload, attempts, pruned) for _, payload, attempts in rows]

    def record_attempt(self, message_id: str, result: SendResult, at: datetime) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO attempts VALUES (?, ?, ?, ?, ?)",
                (message_id, _ts(at), result.status, result.provider_message_id, result.reason),
            )
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (message_id,)
            )

    def mark_sent(self, message_id: str, provider_message_id: str | None, at: datetime) -> None:
        self._settle(
            message_id, status="sent", provider_message_id=provider_message_id, sent_at=_ts(at)
        )

    def schedule_retry(self, message_id: str, at: datetime, reason: str) -> None:
        self._settle(message_id, next_attempt_at=_ts(at), last_error=reason)

    def dead_letter(self, message_id: str, reason: str) -> None:
        self._settle(message_id, status="dead", last_error=reason)

    def prune_token(self, token: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO pruned_tokens VALUES (?)", (token,))

    def due_for_fallback(self, now: datetime, ack_timeout: timedelta) -> list[OutboxMessage]:
        rows = self._db.execute(
            "SELECT o.payload, o.attempts FROM outbox o WHERE o.status = 'sent'"
            " AND o.channel = 'push' AND o.acked_at IS NULL AND o.sent_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM outbox f WHERE f.fallback_of = o.id)",
            (_ts(now - ack_timeout),),
        ).fetchall()
        found = [decode(payload, attempts, set()) for payload, attempts in rows]
        return [m for m in found if m.recipient.kind == "agent" and m.recipient.phone]

    def statuses(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT id, status FROM outbox").fetchall())

    def _settle(self, message_id: str, **columns: object) -> None:
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self._db.execute(
            f"UPDATE outbox SET {assignments}, leased_by = NULL, lease_until = NULL WHERE id = ?",
            (*columns.values(), message_id),
        )

    def _transaction(self) -> _Immediate:
        return _Immediate(self._db)


class _Immediate:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (or ``ROLLBACK`` on error)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
