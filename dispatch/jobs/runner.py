"""Start jobs and read their status; where they run depends on the configuration."""

from __future__ import annotations

import threading
import uuid
from datetime import date

from flask import Flask, current_app

from dispatch.errors import NotFound
from dispatch.extensions import DbSession, db
from dispatch.models.plans import Job
from dispatch.security import Scope


def start_plan_job(
    session: DbSession,
    scope: Scope,
    codes: list[str],
    day: date,
    objective: str = "distance",
    time_limit: float | None = None,
) -> Job:
    """Record a planning job and start it: one Celery task per township, or a thread."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    job = Job(
        id=str(uuid.uuid4()),
        kind="plan",
        total=len(codes),
        region_prefix=scope.prefix,
        params={
            "codes": codes,
            "day": day.isoformat(),
            "objective": objective,
            "time_limit": time_limit or app.config["PLAN_TIME_LIMIT_S"],
        },
    )
    session.add(job)
    session.commit()
    if app.config.get("CELERY_BROKER_URL"):
        from dispatch.jobs.celery_tasks import fan_out_plan
        from dispatch.planning.runner import heaviest_first

        fan_out_plan(job.id, heaviest_first(session, codes), job.params)
    elif app.config.get("JOBS_EAGER"):
        _run_in_app(app, job.id)
    else:
        threading.Thread(target=_run_in_app, args=(app, job.id), daemon=True).start()
    return job


def _run_in_app(app: Flask, job_id: str) -> None:
    from dispatch.jobs.work import run_plan_job

    with app.app_context():
        try:
            run_plan_job(db.session, job_id)
        finally:
            db.session.remove()


def get_job(session: DbSession, scope: Scope, job_id: str) -> Job:
    job = session.get(Job, job_id)
    if job is None or not job.region_prefix.startswith(scope.prefix):
        raise NotFound(f"没有任务 {job_id} / No job {job_id} in your region")
    return job
