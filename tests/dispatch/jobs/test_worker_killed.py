"""A Celery worker SIGKILLed halfway through a city-wide plan: its townships are delivered
again to the other worker (late acks, the visibility timeout), the job completes, and no
township gets two published versions from the one job."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy import func, select

from dispatch import create_app
from dispatch.extensions import db
from dispatch.jobs.celery_tasks import job_reason
from dispatch.models.plans import Plan, PlanStatus
from dispatch.models.regions import Region
from dispatch.workdays import CST, next_working_day
from tests.dispatch.conftest import SEEDED
from tests.dispatch.jobs.processes import child_env, running, wait_for
from tests.dispatch.jobs.test_celery import WORKER, on_db_index

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def _day() -> date:
    """The fourth working day from today: inside the planning horizon, not the others'."""
    day = datetime.now(CST).date()
    for _ in range(4):
        day = next_working_day(day)
    return day


DAY = _day()
VISIBILITY_S = 8


@pytest.mark.xfail(
    strict=False,
    reason="kombu's Redis transport takes a message with BRPOP and only then records it as "
    "unacked; the test kills the worker within 50 ms of its first 'received', when it is "
    "fetching its second township, so that message is in neither the queue nor the unacked "
    "hash and no visibility timeout brings it back: the chord never completes and the job "
    "stays running. 2026-12-06: 1 failure in 3 runs (the lost task id is in no worker's log), "
    "XPASS in CI 12-05 by timing. Needs a sweep that re-sends a running job's unplanned "
    "townships; see /work/notes/issue-17.md",
)
def test_a_worker_killed_mid_plan_loses_no_township(
    app: Flask,
    db_url: str,
    redis_url: str,
    divisions_dir: Path,
    tmp_path: Path,
    auth: Callable[[str], dict[str, str]],
) -> None:
    """Kill the worker that took the first township; the job still plans all, once each."""
    broker = on_db_index(redis_url, 12)
    redis.Redis.from_url(broker).flushdb()
    env = child_env(
        DATABASE_URL=db_url,
        CELERY_BROKER_URL=broker,
        DAIBAN_DIVISIONS_DIR=str(divisions_dir),
        DAIBAN_PLAN_TIME_LIMIT_S="3",
        DAIBAN_SOLVER_PROCESSES="1",
        DAIBAN_CELERY_VISIBILITY_S=str(VISIBILITY_S),
    )
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    with (
        running([*WORKER, "-n", "a@%h"], env, logs[0]) as a,
        running([*WORKER, "-n", "b@%h"], env, logs[1]) as b,
    ):
        for log in logs:
            wait_for(lambda log=log: "ready." in log.read_text(), 60, f"worker {log.name}")
        web = create_app(
            dict(app.config)
            | {"CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker, "PLAN_TIME_LIMIT_S": 3}
        )
        client = web.test_client()
        resp = client.post("/api/plans/", json={"day": DAY.isoformat()}, headers=auth("admin"))
        assert resp.status_code == 202, resp.get_json()
        job_id = resp.get_json()["id"]

        def took_a_township() -> bool:
            return any(
                "plan_one" in log.read_text() and "received" in log.read_text() for log in logs
            )

        wait_for(took_a_township, 60, "a worker to take a township")
        victim, survivor = (a, b) if "received" in logs[0].read_text() else (b, a)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        job: dict = {}  # type: ignore[type-arg]

        def finished() -> bool:
            nonlocal job
            job = client.get(f"/api/jobs/{job_id}", headers=auth("admin")).get_json()
            return job["status"] in ("done", "failed")

        wait_for(finished, 420, f"job {job_id} after the kill", every=0.5)
        assert survivor.poll() is None
    assert job["status"] == "done", (job, logs[0].read_text()[-2000:], logs[1].read_text()[-2000:])
    assert job["result"]["planned"] == len(SEEDED), job["result"]
    with web.app_context():
        rows = db.session.execute(
            select(Region.code, Plan.status, func.count())
            .select_from(Plan)
            .join(Region, Plan.township_id == Region.id)
            .where(Plan.day == DAY)
            .group_by(Region.code, Plan.status)
        ).all()
        published = {code: n for code, status, n in rows if status == PlanStatus.PUBLISHED}
        assert published == {code: 1 for code in SEEDED}, rows
        from_job = db.session.execute(
            select(Region.code, func.count())
            .select_from(Plan)
            .join(Region, Plan.township_id == Region.id)
            .where(Plan.day == DAY, Plan.reason == job_reason(job_id))
            .group_by(Region.code)
        ).all()
        assert dict(from_job) == {code: 1 for code in SEEDED}, from_job
        db.session.remove()
