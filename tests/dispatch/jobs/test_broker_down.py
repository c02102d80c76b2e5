"""Redis unreachable when a plan job starts: a 503 that says so, and the job failed at once
(nothing left queued for ever); nothing is planned in the web process instead."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from flask import Flask
from sqlalchemy import func, select

from dispatch.app import create_app
from dispatch.extensions import db
from dispatch.models.plans import Job, Plan
from dispatch.setup.demo import DEMO_TOWNSHIP
from dispatch.workdays import CST, next_working_day

CLOSED = "redis://127.0.0.1:5169/0"  # the load test's last port: nothing listens there


def test_plan_job_with_the_broker_down_is_a_503_and_a_failed_job(
    app: Flask, auth: Callable[[str], dict[str, str]]
) -> None:
    """POST /api/plans/ answers 503 with Retry-After within seconds; the job reads failed."""
    down = create_app(
        dict(app.config) | {"CELERY_BROKER_URL": CLOSED, "CELERY_RESULT_BACKEND": CLOSED}
    )
    day = next_working_day(datetime.now(CST).date())
    with down.app_context():
        plans_before = db.session.scalar(select(func.count()).select_from(Plan))
        db.session.remove()
    started = time.monotonic()
    resp = down.test_client().post(
        "/api/plans/",
        json={"township": DEMO_TOWNSHIP, "day": day.isoformat()},
        headers=auth("dispatcher"),
    )
    took = time.monotonic() - started
    body = resp.get_json()
    assert resp.status_code == 503, body
    assert resp.headers["Retry-After"].isdigit()
    assert "Redis" in body["message"] and "任务队列" in body["message"]
    assert took < 15, f"the 503 took {took:.1f} s"
    with down.app_context():
        job = db.session.get(Job, body["job_id"])
        assert job is not None and job.status == "failed" and "Redis" in job.error
        assert db.session.scalar(select(func.count()).select_from(Plan)) == plans_before
        db.session.remove()
