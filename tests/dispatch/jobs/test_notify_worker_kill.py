"""The SQL outbox under real ``daiban notify-worker`` processes: killed, restarted, doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, select

from dispatch.extensions import db
from dispatch.models.agents import Agent
from dispatch.models.outbox import Device, OutboxMessage, enqueue
from tests.dispatch.jobs.processes import BIN, child_env, running, stop, wait_for
from tests.notifications.fake_fcm import FakeFcm, started_fake_fcm

pytestmark = pytest.mark.slow

PUSHES = 300
KILL_AGENT = "推送测试"  # the name of the agents these tests make, and remove
VARIABLES = {"plan_date": "2026-11-26", "plan_version": 3, "stop_count": 7}


@pytest.fixture()
def fcm(tmp_path: Path) -> Iterator[FakeFcm]:
    server, _ = started_fake_fcm(tmp_path / "service-account.json")
    try:
        yield server
    finally:
        server.stop()


def worker_env(db_url: str, fcm: FakeFcm, lease: float, batch: int) -> dict[str, str]:
    assert fcm.account is not None
    return child_env(
        DATABASE_URL=db_url,
        DAIBAN_PUSH_CHANNEL="fcm",
        DAIBAN_FCM_CREDENTIALS=str(fcm.account.path),
        DAIBAN_FCM_URL=fcm.fcm_url,
        DAIBAN_OUTBOX_LEASE_S=str(lease),
        DAIBAN_OUTBOX_BATCH=str(batch),
    )


def start_worker(env: dict[str, str], log: Path):  # type: ignore[no-untyped-def]
    return running([str(BIN / "daiban"), "notify-worker", "--poll", "0.1"], env, log)


def enqueue_pushes(app: Flask, due: datetime | None = None) -> list[str]:
    """``PUSHES`` plan pushes spread over ten agents of their own, with one device each (the
    seeded agents' devices depend on which tests ran before)."""
    with app.app_context():
        region_id = db.session.scalar(select(Agent.region_id).order_by(Agent.id).limit(1))
        made = [
            Agent(
                name=f"{KILL_AGENT}{n}",
                phone=f"1390000{n:04d}",
                level="village",
                region_id=region_id,
            )
            for n in range(10)
        ]
        for agent in made:
            agent.region_id = region_id
        db.session.add_all(made)
        db.session.flush()
        agents = [a.id for a in made]
        for agent_id in agents:
            db.session.add(
                Device(
                    agent_id=agent_id,
                    platform="android",
                    token=f"kill-{agent_id}-{uuid.uuid4().hex}",
                )
            )
        ids = [
            enqueue(
                db.session,
                "plan_published",
                "push",
                "agent",
                agents[n % 10],
                variables=VARIABLES,
                data={"plan_version": 3},
                not_before=due,
            ).id
            for n in range(PUSHES)
        ]
        db.session.commit()
        db.session.remove()
    return ids


@pytest.fixture()
def pushes(app: Flask) -> Iterator[list[str]]:
    """Enqueue the pushes; afterwards remove them and their devices, for the tests that follow."""
    made: list[str] = []
    yield made
    with app.app_context():
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(made)))
        db.session.execute(delete(Device).where(Device.token.like("kill-%")))
        db.session.execute(delete(Agent).where(Agent.name.like(f"{KILL_AGENT}%")))
        db.session.commit()
        db.session.remove()


def rows(app: Flask, ids: list[str]) -> list[OutboxMessage]:
    with app.app_context():
        found = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))))
        for row in found:
            _ = row.attempt_log  # loaded before the session goes
        db.session.remove()
    return found


def all_sent(app: Flask, ids: list[str]) -> bool:
    return all(r.status == "sent" for r in rows(app, ids))


def test_sigkill_mid_batch_then_restart_loses_nothing(
    app: Flask, db_url: str, fcm: FakeFcm, pushes: list[str], tmp_path: Path
) -> None:
    """A worker killed inside its second batch and restarted delivers every push at least once."""
    pushes += enqueue_pushes(app)
    env = worker_env(db_url, fcm, lease=2, batch=25)
    fcm.delay = 0.02
    first: list[subprocess.Popen[bytes]] = []
    killed = threading.Event()

    def kill_inside_second_batch(accepted: int) -> None:
        if accepted >= 40 and not killed.is_set():
            killed.set()
            os.kill(first[0].pid, signal.SIGKILL)

    fcm.on_accept = kill_inside_second_batch
    with start_worker(env, tmp_path / "worker-1.log") as worker:
        first.append(worker)
        assert worker.wait(timeout=120) == -signal.SIGKILL
    fcm.on_accept = None
    before = fcm.snapshot().deliveries
    assert 0 < sum(before[i] > 0 for i in pushes) < PUSHES
    assert 0 < sum(r.status == "sent" for r in rows(app, pushes)) < PUSHES

    with start_worker(env, tmp_path / "worker-2.log") as restarted:
        wait_for(lambda: all_sent(app, pushes), 120, "every push to be sent", every=0.2)
        stop(restarted)
    deliveries = fcm.snapshot().deliveries
    assert all(deliveries[i] >= 1 for i in pushes)  # none lost
    assert any(deliveries[i] > 1 for i in pushes)  # the killed batch went again: at least once
    settled = rows(app, pushes)
    assert all(r.attempts >= 1 and r.provider_message_id and r.sent_at for r in settled)
    assert all(r.attempt_log[-1].status == "sent" for r in settled)
    assert len({a.worker for r in settled for a in r.attempt_log}) == 2  # both workers sent


def test_two_workers_never_send_one_message_twice(
    app: Flask, db_url: str, fcm: FakeFcm, pushes: list[str], tmp_path: Path
) -> None:
    """Two live workers share the queue (SKIP LOCKED on PostgreSQL) and each push goes once."""
    # Due a moment from now, so both workers are polling when the rows come due.
    pushes += enqueue_pushes(app, due=datetime.now(UTC) + timedelta(seconds=5))
    env = worker_env(db_url, fcm, lease=60, batch=20)
    fcm.delay = 0.02
    with (
        start_worker(env, tmp_path / "worker-a.log") as a,
        start_worker(env, tmp_path / "worker-b.log") as b,
    ):
        wait_for(lambda: all_sent(app, pushes), 120, "every push to be sent", every=0.2)
        stop(a)
        stop(b)
    deliveries = fcm.snapshot().deliveries
    assert {deliveries[i] for i in pushes} == {1}
    settled = rows(app, pushes)
    assert all(len(r.attempt_log) == 1 for r in settled)
    assert len({r.attempt_log[0].worker for r in settled}) == 2  # both took batches
