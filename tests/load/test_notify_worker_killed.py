"""The notify worker SIGKILLed mid-batch under load, while the FCM stand-in answers 503s and
times out: every push is delivered once its retries allow, and only the batch in flight at
the kill is delivered twice (delivery is at least once: a batch is settled when it returns)."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from benchmarks.load.stack import Stack, StackConfig
from dispatch.extensions import db
from dispatch.models.agents import Agent
from dispatch.models.outbox import Device, OutboxMessage, enqueue
from tests.conftest import reset_postgres
from tests.load.faults import PG, five_hundreds, load_running
from tests.notifications.fake_fcm import FakeFcm, started_fake_fcm

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

PUSHES = 300
BATCH = 40
#: The stand-in's first failures: SDK-retried 503s, then answers slower than the timeout.
UNAVAILABLE, STALLS, TIMEOUT_S = 12, 6, 2.0


def _enqueue_pushes(app: Flask) -> list[str]:
    """``PUSHES`` plan pushes to ten agents, given a device each."""
    with app.app_context():
        agents = list(db.session.scalars(select(Agent.id).order_by(Agent.id).limit(10)))
        for agent_id in agents:
            token = f"notify-kill-{agent_id}-{uuid.uuid4().hex[:8]}"
            db.session.add(Device(agent_id=agent_id, platform="android", token=token))
        variables = {"plan_date": "2026-12-08", "plan_version": 2, "stop_count": 5}
        ids = [
            enqueue(
                db.session, "plan_published", "push", "agent", agents[n % 10], variables=variables
            ).id
            for n in range(PUSHES)
        ]
        db.session.commit()
        db.session.remove()
    return ids


def _settled(app: Flask, ids: list[str], within: float) -> dict[str, str]:
    """The rows' statuses once all are sent, or when ``within`` seconds have passed."""
    deadline = time.monotonic() + within
    while True:
        with app.app_context():
            rows = db.session.execute(
                select(OutboxMessage.id, OutboxMessage.status).where(OutboxMessage.id.in_(ids))
            ).all()
            db.session.remove()
        statuses = {i: str(s) for i, s in rows}
        if set(statuses.values()) == {"sent"} or time.monotonic() > deadline:
            return statuses
        time.sleep(0.5)


def _kill_mid_batch(stack: Stack, fcm: FakeFcm, after: int) -> threading.Event:
    """SIGKILL the notify worker from inside the stand-in, at its ``after``-th accept."""
    killed = threading.Event()

    def on_accept(accepted: int) -> None:
        if accepted >= after and not killed.is_set():
            killed.set()
            stack.kill("notify1")

    fcm.on_accept = on_accept
    return killed


def test_notify_worker_killed_mid_batch_under_load(redis_url: str, tmp_path: Path) -> None:
    """Pushes go out during the load; the worker is killed in its second batch and started
    again; each push ends sent, delivered once but the ones of the killed batch."""
    reset_postgres(PG)
    fcm, account = started_fake_fcm(tmp_path / "service-account.json")
    fcm.delay = 0.01
    config = StackConfig(
        pg_url=PG,
        port=5163,
        broker_db=12,
        limits_db=12,
        run_dir=tmp_path,
        notify_worker=True,
        extra_env={
            "DAIBAN_PUSH_CHANNEL": "fcm",
            "DAIBAN_FCM_CREDENTIALS": str(account.path),
            "DAIBAN_FCM_URL": fcm.fcm_url,
            "DAIBAN_FCM_TIMEOUT_S": str(TIMEOUT_S),
            "DAIBAN_OUTBOX_LEASE_S": "5",
            "DAIBAN_OUTBOX_BATCH": str(BATCH),
        },
    )
    stack = Stack(config)
    load = ["--agents", "100", "--dispatchers", "10", "--duration", "45"]
    try:
        with load_running(stack, load, tmp_path) as run:
            time.sleep(15)  # into the load
            fcm.fail_next("unavailable", UNAVAILABLE)
            fcm.stall_next(TIMEOUT_S + 1, STALLS)
            before = len(fcm.snapshot().accepted)
            killed = _kill_mid_batch(stack, fcm, after=before + BATCH + BATCH // 2)
            pushes = _enqueue_pushes(run.app)
            assert killed.wait(60), "the notify worker never reached its second batch"
            fcm.on_accept = None
            time.sleep(1)  # the stand-in finishes what the dead worker had in flight
            kill_at = len(fcm.snapshot().accepted)
            stack.start_notify_worker(2)
            settled = _settled(run.app, pushes, within=150)
            ledger, rec = run.finish()
    finally:
        stack.stop()
        fcm.stop()
    assert set(settled.values()) == {"sent"}, sorted(settled.items())[:5]
    state = fcm.snapshot()
    assert len(state.rejected) >= UNAVAILABLE + STALLS, "the stand-in's failures were not met"
    deliveries = {i: state.deliveries[i] for i in pushes}
    assert min(deliveries.values()) >= 1, "a push marked sent never reached the stand-in"
    first_seen: dict[str, int] = {}
    for n, message in enumerate(state.accepted):
        first_seen.setdefault(message["data"]["message_id"], n)
    twice = {i for i, n in deliveries.items() if n > 1}
    # Only what the killed worker had sent and not yet settled: its batch in flight.
    assert max(deliveries.values()) <= 2, deliveries
    assert len(twice) <= BATCH, len(twice)
    assert all(first_seen[i] < kill_at for i in twice), "a push sent after the kill went twice"
    assert not rec.lost, (dict(rec.lost), rec.examples)
    five = five_hundreds(ledger)
    assert all(k.endswith(" 503") for k in five), five
    print(f"pushes {PUSHES}: {len(twice)} delivered twice (the killed batch); {dict(rec.counts)}")
