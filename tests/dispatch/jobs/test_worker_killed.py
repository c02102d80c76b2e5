"""A Celery worker SIGKILLed halfway through a city-wide plan: its townships are delivered
again to the other worker (late acks and the visibility timeout for a task it had begun; the
beat's sweep for a message kombu had taken off the queue but not yet recorded as unacked),
the job completes, and no township gets two published versions from the one job."""

from __future__ import annotations

import ast
import json
import os
import signal
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from dispatch.app import create_app
from dispatch.extensions import db
from dispatch.models.plans import Job, Plan, PlanStatus
from dispatch.models.regions import Region
from dispatch.services.job_sweep import job_reason
from dispatch.workdays import CST, next_working_day
from tests.dispatch.conftest import SEEDED
from tests.dispatch.jobs.processes import BIN, child_env, running, wait_for
from tests.dispatch.jobs.test_celery import WORKER, on_db_index

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def _working_day(n: int) -> date:
    """The ``n``-th working day from today: inside the planning horizon, not the others'."""
    day = datetime.now(CST).date()
    for _ in range(n):
        day = next_working_day(day)
    return day


VISIBILITY_S = 8
#: The sweep's lease: longer than a township takes (3 s here) while the survivor plans.
STALE_S = 8
BEAT = [str(BIN / "celery"), "-A", "dispatch.celery_worker", "beat", "--loglevel", "INFO"]
#: Plenty for the visibility timeout, or the lease and a sweep, then a township or two of 3 s.
SETTLES_S = 90


@pytest.fixture()
def broker(redis_url: str) -> str:
    """Redis db 12, emptied: no task of an earlier run reaches the workers."""
    url = on_db_index(redis_url, 12)
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture()
def env(broker: str, db_url: str, divisions_dir: Path) -> dict[str, str]:
    """The workers' and the beat's settings: 3 s a township, short timeouts and lease."""
    return child_env(
        DATABASE_URL=db_url,
        CELERY_BROKER_URL=broker,
        DAIBAN_DIVISIONS_DIR=str(divisions_dir),
        DAIBAN_PLAN_TIME_LIMIT_S="3",
        DAIBAN_SOLVER_PROCESSES="1",
        DAIBAN_CELERY_VISIBILITY_S=str(VISIBILITY_S),
        DAIBAN_JOB_STALE_S=str(STALE_S),
        DAIBAN_JOB_SWEEP_S="1",
    )


@pytest.fixture()
def web(app: Flask, broker: str) -> Flask:
    """The web side: it publishes the job's tasks to the test's broker."""
    return create_app(
        dict(app.config)
        | {"CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker, "PLAN_TIME_LIMIT_S": 3}
    )


def _start_plan(client: FlaskClient, day: date, headers: dict[str, str]) -> str:
    resp = client.post("/api/plans/", json={"day": day.isoformat()}, headers=headers)
    assert resp.status_code == 202, resp.get_json()
    return str(resp.get_json()["id"])


def _wait_until_ended(client: FlaskClient, job_id: str, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    job: dict = {}  # type: ignore[type-arg]

    def ended() -> bool:
        nonlocal job
        job = client.get(f"/api/jobs/{job_id}", headers=headers).get_json()
        return job["status"] in ("done", "failed")

    wait_for(ended, SETTLES_S, f"job {job_id} to end", every=0.5)
    return job


def _assert_each_township_published_once(web: Flask, day: date, job_id: str) -> None:
    with web.app_context():
        rows = db.session.execute(
            select(Region.code, Plan.status, func.count())
            .select_from(Plan)
            .join(Region, Plan.township_id == Region.id)
            .where(Plan.day == day)
            .group_by(Region.code, Plan.status)
        ).all()
        published = {code: n for code, status, n in rows if status == PlanStatus.PUBLISHED}
        assert published == {code: 1 for code in SEEDED}, rows
        from_job = db.session.execute(
            select(Region.code, func.count())
            .select_from(Plan)
            .join(Region, Plan.township_id == Region.id)
            .where(Plan.day == day, Plan.reason == job_reason(job_id))
            .group_by(Region.code)
        ).all()
        assert dict(from_job) == {code: 1 for code in SEEDED}, from_job
        db.session.remove()


def test_a_worker_killed_mid_plan_loses_no_township(
    web: Flask, env: dict[str, str], tmp_path: Path, auth: Callable[[str], dict[str, str]]
) -> None:
    """Kill the worker that took the first township; the job still plans all, once each."""
    day = _working_day(4)
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    beat = [*BEAT, "-s", str(tmp_path / "beat-schedule")]
    with (
        running([*WORKER, "-n", "a@%h"], env, logs[0]) as a,
        running([*WORKER, "-n", "b@%h"], env, logs[1]) as b,
        running(beat, env, tmp_path / "beat.log"),
    ):
        for log in logs:
            wait_for(lambda log=log: "ready." in log.read_text(), 60, f"worker {log.name}")
        client = web.test_client()
        job_id = _start_plan(client, day, auth("admin"))

        def took_a_township() -> bool:
            return any(
                "plan_one" in log.read_text() and "received" in log.read_text() for log in logs
            )

        wait_for(took_a_township, 60, "a worker to take a township")
        victim, survivor = (a, b) if "received" in logs[0].read_text() else (b, a)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        job = _wait_until_ended(client, job_id, auth("admin"))
        assert survivor.poll() is None
    assert job["status"] == "done", (job, logs[0].read_text()[-2000:], logs[1].read_text()[-2000:])
    assert job["result"]["planned"] == len(SEEDED), job["result"]
    _assert_each_township_published_once(web, day, job_id)


def _drop_one_township(broker: str, job_id: str) -> str:
    """Take one township's task off the queue, as a worker killed between kombu's BRPOP and
    its unacked record does: the message is then nowhere, and the chord never completes."""
    queue = redis.Redis.from_url(broker)
    for raw in queue.lrange("celery", 0, -1):
        message = json.loads(raw)
        if (
            message["headers"]["task"].endswith("plan_one")
            and job_id in message["headers"]["argsrepr"]
        ):
            assert queue.lrem("celery", 1, raw) == 1
            return str(ast.literal_eval(message["headers"]["argsrepr"])[1])
    raise AssertionError(f"no task of job {job_id} on the queue")


def test_a_township_whose_message_was_lost_is_sent_again_by_the_sweep(
    web: Flask,
    env: dict[str, str],
    broker: str,
    tmp_path: Path,
    auth: Callable[[str], dict[str, str]],
) -> None:
    """No worker is up when the job is queued; one township's message is lost; the others
    are planned, the job stalls, the beat's sweep sends the lost one again and the job is
    done with every township published once."""
    # The working day after 25 days from today: no other test's (they take 1-21, 30 and on).
    day = next_working_day(datetime.now(CST).date() + timedelta(days=25))
    client = web.test_client()
    job_id = _start_plan(client, day, auth("admin"))
    lost = _drop_one_township(broker, job_id)
    log = tmp_path / "worker.log"
    beat = [*BEAT, "-s", str(tmp_path / "beat-schedule")]
    with running([*WORKER, "-n", "one@%h"], env, log), running(beat, env, tmp_path / "beat.log"):
        job = _wait_until_ended(client, job_id, auth("admin"))
    assert job["status"] == "done", (job, log.read_text()[-3000:])
    assert job["result"]["planned"] == len(SEEDED), job["result"]
    assert f"stalled: sending {lost} again" in log.read_text()
    _assert_each_township_published_once(web, day, job_id)
    with web.app_context():
        swept = db.session.get(Job, job_id)
        assert swept is not None and swept.params["resent"] == 1, swept.params
        db.session.remove()
