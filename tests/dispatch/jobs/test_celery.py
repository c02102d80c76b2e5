"""A city-wide plan through a real Celery worker on Redis: fanned out, merged, feasible."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from flask import Flask

from dispatch.app import create_app
from dispatch.extensions import db
from dispatch.models.plans import Plan
from dispatch.workdays import CST, next_working_day
from routing import check, problem_from_vroom, solution_from_vroom
from tests.dispatch.conftest import SEEDED
from tests.dispatch.jobs.processes import BIN, child_env, running, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.slow]

# Pool and concurrency come from the app's settings (``DAIBAN_CELERY_POOL``,
# ``DAIBAN_SOLVER_PROCESSES``), as in production.
WORKER = [
    str(BIN / "celery"),
    "-A",
    "dispatch.celery_worker",
    "worker",
    "-Q",
    "celery",
    "--without-heartbeat",
    "--without-gossip",
    "--without-mingle",
    "-l",
    "info",
]


def on_db_index(url: str, index: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{index}"))


@pytest.fixture()
def broker(redis_url: str) -> str:
    """A Redis database of its own, emptied, so no stale task reaches the worker."""
    url = on_db_index(redis_url, 5)
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(params=["threads", "prefork"])
def celery_worker(
    request: pytest.FixtureRequest,
    broker: str,
    db_url: str,
    divisions_dir: Path,
    app: Flask,
    tmp_path: Path,
) -> Iterator[Path]:
    """A worker process building its app from the environment, on the test database.

    ``threads``: task threads share a pool of solver processes (the default);
    ``prefork``: each child process solves its own tasks.
    """
    log = tmp_path / "celery-worker.log"
    env = child_env(
        DATABASE_URL=db_url,
        CELERY_BROKER_URL=broker,
        DAIBAN_DIVISIONS_DIR=str(divisions_dir),
        DAIBAN_PLAN_TIME_LIMIT_S="0.5",
        DAIBAN_CELERY_POOL=request.param,
        DAIBAN_SOLVER_PROCESSES="2",
    )
    with running(WORKER, env, log) as worker:
        wait_for(
            lambda: "ready." in log.read_text() or worker.poll() is not None,
            60,
            "the Celery worker to start",
        )
        assert worker.poll() is None, log.read_text()
        expected = "4 (thread)" if request.param == "threads" else "2 (prefork)"
        assert f"concurrency: {expected}" in log.read_text(), log.read_text()[-2000:]
        yield log


@pytest.fixture()
def celery_app(app: Flask, broker: str) -> Flask:
    """The test app's settings, sending jobs to the worker's broker."""
    return create_app(
        dict(app.config)
        | {"CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker, "PLAN_TIME_LIMIT_S": 0.5}
    )


def test_city_plan_runs_on_celery_workers(
    celery_app: Flask, celery_worker: Path, auth: Callable[[str], dict[str, str]]
) -> None:
    """Every seeded township is planned by the worker, merged, published and feasible."""
    # Not the planning tests' day: they expect their townships' first version.
    day = next_working_day(next_working_day(datetime.now(CST).date()) + timedelta(days=1))
    client = celery_app.test_client()
    resp = client.post("/api/plans/", json={"day": day.isoformat()}, headers=auth("admin"))
    assert resp.status_code == 202, resp.get_json()
    job_id = resp.get_json()["id"]
    assert resp.get_json()["total"] == len(SEEDED)

    percents: list[int] = []
    job: dict = {}  # type: ignore[type-arg]

    def finished() -> bool:
        nonlocal job
        job = client.get(f"/api/jobs/{job_id}", headers=auth("admin")).get_json()
        percents.append(job["percent"])
        return job["status"] in ("done", "failed")

    started = time.monotonic()
    wait_for(finished, 120, f"job {job_id} (worker log: {celery_worker})", every=0.05)
    assert job["status"] == "done", (job, celery_worker.read_text()[-3000:])
    assert percents == sorted(percents) and percents[-1] == 100, percents
    assert len(set(percents)) >= 2, percents  # polled while it ran, not only at the end
    # On threads, the solves went to the worker's shared pool of 2 solver processes.
    pooled = "started a pool of 2 solver processes" in celery_worker.read_text()
    assert pooled == ("(thread)" in celery_worker.read_text()), celery_worker.read_text()[-3000:]
    print(f"celery city plan: {time.monotonic() - started:.1f} s, percents {sorted(set(percents))}")

    result = job["result"]
    assert result["townships"] == len(SEEDED) and result["planned"] == len(SEEDED), result
    assert not result["skipped"] and len(result["plan_ids"]) == len(SEEDED)
    assert result["assigned"] > 0 and result["tasks"] >= result["assigned"]
    with celery_app.app_context():
        plans = [db.session.get(Plan, pid) for pid in result["plan_ids"]]
        assert all(p is not None for p in plans)
        assert {p.township.code for p in plans} == SEEDED
        assert all(p.day == day and p.status == "published" for p in plans)
        db.session.remove()
    for plan_id in result["plan_ids"]:
        problem = client.get(f"/api/plans/{plan_id}/problem", headers=auth("admin")).get_json()
        solution = client.get(f"/api/plans/{plan_id}/solution", headers=auth("admin")).get_json()
        assert check(problem_from_vroom(problem), solution_from_vroom(solution)) == [], plan_id
