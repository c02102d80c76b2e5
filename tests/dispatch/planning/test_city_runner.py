"""The in-process city run: every township solved in the process's shared solver pool."""

from __future__ import annotations

import os
import signal
from concurrent.futures.process import BrokenProcessPool
from datetime import date, datetime, timedelta

import pytest

import routing
from dispatch.extensions import db
from dispatch.models.plans import Plan
from dispatch.planning import solvers
from dispatch.services.plans import plan_city
from dispatch.workdays import CST, next_working_day
from tests.dispatch.conftest import SEEDED


def _days(n: int) -> list[date]:
    """Working days no other test plans: a fortnight out, past the planning tests' days."""
    day, out = datetime.now(CST).date() + timedelta(days=15), []
    for _ in range(n):
        day = next_working_day(day)
        out.append(day)
    return out


def test_an_in_process_city_job_solves_in_the_shared_pool(client, auth, app):
    """A city plan through the API without Celery plans every township in the solver pool,
    which stays for the next run; every plan is feasible for the problem it stored."""
    app.config["JOBS_EAGER"] = True
    solvers.shutdown()
    day = _days(1)[0]
    resp = client.post("/api/plans/", json={"day": day.isoformat()}, headers=auth("admin"))
    assert resp.status_code == 202, resp.get_json()
    job = client.get(f"/api/jobs/{resp.get_json()['id']}", headers=auth("admin")).get_json()
    assert job["status"] == "done" and job["percent"] == 100, job
    assert job["result"]["planned"] == len(SEEDED), job["result"]
    pool = solvers._pool
    assert pool is not None, "the city run used the shared solver pool"
    with app.app_context():
        for plan_id in job["result"]["plan_ids"]:
            plan = db.session.get(Plan, plan_id)
            assert plan is not None and plan.status == "published"
            problem = routing.problem_from_vroom(plan.problem)
            assert routing.check(problem, routing.solution_from_vroom(plan.solution)) == []
        db.session.remove()
    assert solvers.shared_pool(2) is pool  # kept: the next run pays no start-up


def test_a_dead_solver_fails_the_run_and_the_next_run_has_a_new_pool(ctx):
    """A solver process killed mid-run breaks that run loudly, and the one after plans."""
    first, second = _days(3)[1:]
    pool = solvers.shared_pool(2)
    solvers.warm(2)
    for pid in list(pool._processes):  # type: ignore[attr-defined]
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(BrokenProcessPool):
        plan_city(db.session, first, codes=sorted(SEEDED), workers=2, time_limit=0.2)
    db.session.rollback()
    summary = plan_city(db.session, second, codes=sorted(SEEDED), workers=2, time_limit=0.2)
    assert sorted(summary.planned) == sorted(SEEDED)
    assert solvers._pool is not None and solvers._pool is not pool
