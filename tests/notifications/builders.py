"""Outbox messages for tests, with realistic variables."""

from __future__ import annotations

import uuid

from notifications.messages import OutboxMessage, Recipient


def agent_push(
    n: int = 0,
    tokens: tuple[str, ...] | None = None,
    phone: str | None = "13800138000",
    kind: str = "plan_published",
) -> OutboxMessage:
    """An agent push of ``plan_published`` (version 3) to device ``tok-<n>``."""
    variables = {
        "plan_published": {"plan_date": "2025-03-10", "plan_version": 3, "stop_count": 7},
        "urgent_task": {"village": "玉湖村", "task": "低保复核", "deadline": "16:00"},
    }[kind]
    return OutboxMessage(
        id=str(uuid.uuid4()),
        kind=kind,
        channel="push",
        recipient=Recipient(
            "agent",
            f"agent-{n}",
            phone=phone,
            device_tokens=(f"tok-{n}",) if tokens is None else tokens,
        ),
        variables=variables,
        data={"plan_version": "3"},
    )


def villager_sms(n: int = 0, phone: str | None = None, urgent: bool = False) -> OutboxMessage:
    """A ``booking_confirmed`` SMS to villager ``v-<n>``."""
    return OutboxMessage(
        id=str(uuid.uuid4()),
        kind="booking_confirmed",
        channel="sms",
        recipient=Recipient("villager", f"v-{n}", phone=phone or f"139{n:08d}"),
        variables={
            "name": "林阿婆",
            "service": "社保认证",
            "date": "3月11日",
            "time_window": "上午",
        },
        urgent=urgent,
    )
