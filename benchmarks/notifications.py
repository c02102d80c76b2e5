"""Notification throughput: agents' pushes and villagers' SMS through the outbox.

Runs the real channels (firebase-admin, requests) against the stand-ins of
``tests/notifications`` on 127.0.0.1, with :class:`MemoryOutboxStore`:

- 1,000 agents' assignment pushes go through the outbox to the FCM stand-in (target <= 5 s);
- 10,000 villager SMS are queued and drained with no loss.

Run from the repository root: ``python benchmarks/notifications.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This script is named like the package it measures, and the stand-ins live in tests/:
# put the repository root first and its own folder out, so `notifications` is the package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]

from notifications import Channel, MemoryOutboxStore, OutboxMessage, Recipient, Sender  # noqa: E402
from notifications.channels.fcm import FcmChannel, FcmConfig  # noqa: E402
from notifications.channels.sms import AliyunSmsChannel, AliyunSmsConfig  # noqa: E402
from tests.notifications.fake_fcm import started_fake_fcm  # noqa: E402
from tests.notifications.fake_sms import (  # noqa: E402
    TEST_ACCESS_KEY_ID,
    TEST_ACCESS_KEY_SECRET,
    TEST_SIGN_NAME,
    FakeAliyunSms,
)


@dataclass
class Row:
    case: str
    messages: int
    seconds: float
    delivered: int
    duplicates: int
    store_sent: int
    target: str

    @property
    def ok(self) -> bool:
        no_loss = self.delivered == self.messages == self.store_sent
        return no_loss and (self.target != "<= 5 s" or self.seconds <= 5.0)


def run_case(
    case: str,
    target: str,
    messages: list[OutboxMessage],
    channels: Mapping[str, Channel],
    sender: Sender,
    deliveries: Callable[[], Counter[str]],
) -> Row:
    """Enqueue ``messages``, drain them, and check what reached the stand-in."""
    store = MemoryOutboxStore()
    started = time.perf_counter()
    for message in messages:
        store.enqueue(message)
    report = sender.drain(store, channels)
    seconds = time.perf_counter() - started
    seen = deliveries()
    delivered = len(set(seen) & {m.id for m in messages})
    dupes = sum(seen.values()) - len(seen)
    return Row(case, len(messages), seconds, delivered, dupes, report.sent, target)


def daytime_clock() -> datetime:
    """Now, moved to 10:00 China time, so quiet hours never stop the SMS run."""
    now = datetime.now(UTC)
    return now.replace(hour=2, minute=0)  # 02:00 UTC is 10:00 CST


def bench_pushes(agents: int, workdir: Path) -> Row:
    fcm, account = started_fake_fcm(workdir / "service-account.json")
    channel = FcmChannel(FcmConfig(str(account.path), fcm_url=fcm.fcm_url, sdk_retries=0))
    try:
        messages = [
            OutboxMessage(
                id=str(uuid.uuid4()),
                kind="plan_published",
                channel="push",
                recipient=Recipient("agent", f"agent-{n}", device_tokens=(f"device-{n}",)),
                variables={"plan_date": "2025-03-11", "plan_version": 12, "stop_count": 9},
                data={"plan_version": "12"},
            )
            for n in range(agents)
        ]
        return run_case(
            f"{agents:,} agent pushes -> FCM stand-in",
            "<= 5 s",
            messages,
            {"push": channel},
            Sender(batch_size=500, ack_timeout=None),
            lambda: fcm.snapshot().deliveries,
        )
    finally:
        channel.close()
        fcm.stop()


def bench_sms(villagers: int) -> Row:
    with FakeAliyunSms() as gateway:
        config = AliyunSmsConfig(
            TEST_ACCESS_KEY_ID,
            TEST_ACCESS_KEY_SECRET,
            TEST_SIGN_NAME,
            gateway.endpoint,
            max_workers=16,
        )
        channel = AliyunSmsChannel(config)
        messages = [
            OutboxMessage(
                id=str(uuid.uuid4()),
                kind="booking_reminder",
                channel="sms",
                recipient=Recipient("villager", f"v-{n}", phone=f"139{n:08d}"),
                variables={
                    "name": "林阿婆",
                    "service": "社保认证",
                    "date": "3月12日",
                    "time_window": "上午",
                },
            )
            for n in range(villagers)
        ]
        try:
            return run_case(
                f"{villagers:,} villager SMS -> Aliyun stand-in",
                "no loss",
                messages,
                {"sms": channel},
                Sender(batch_size=500, ack_timeout=None, now_fn=daytime_clock),
                lambda: gateway.snapshot().deliveries,
            )
        finally:
            channel.close()


def print_table(rows: list[Row]) -> None:
    header = (
        "case",
        "messages",
        "seconds",
        "msg/s",
        "delivered",
        "dupes",
        "store sent",
        "target",
        "ok",
    )
    lines = [
        (
            r.case,
            f"{r.messages:,}",
            f"{r.seconds:.2f}",
            f"{r.messages / r.seconds:,.0f}",
            f"{r.delivered:,}",
            str(r.duplicates),
            f"{r.store_sent:,}",
            r.target,
            "yes" if r.ok else "NO",
        )
        for r in rows
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *lines, strict=True)]
    for line in (header, tuple("-" * w for w in widths), *lines):
        print("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1_000)
    parser.add_argument("--villagers", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [bench_pushes(args.agents, Path(tmp)), bench_sms(args.villagers)]
    print_table(rows)
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
