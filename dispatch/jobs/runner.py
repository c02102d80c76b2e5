"""Start jobs and read their status; where they run depends on the configuration."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import date
from typing import Any

from flask import Flask, current_app, has_app_context
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import event
from sqlalchemy.orm import Session

from dispatch.errors import NotFound, Unavailable
from dispatch.extensions import DbSession, db
from dispatch.jobs.celery_tasks import fan_out_plan, replan_day
from dispatch.jobs.work import run_plan_job, run_replan_job
from dispatch.models.plans import Job
from dispatch.planning.runner import heaviest_first
from dispatch.security import Scope

log = logging.getLogger(__name__)
#: What publishing to an unreachable broker (or the chord's Redis result backend) raises.
BROKER_DOWN = (KombuOperationalError, RedisConnectionError, ConnectionError)


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
        try:
            fan_out_plan(job.id, heaviest_first(session, codes), job.params)
        except BROKER_DOWN as err:
            _broker_down(session, job, err)
    elif app.config.get("JOBS_EAGER"):
        _run_in_app(app, job.id)
    else:
        threading.Thread(target=_run_in_app, args=(app, job.id), daemon=True).start()
    return job


def _broker_down(session: DbSession, job: Job, err: Exception) -> None:
    """Redis is unreachable: the job is failed at once (nothing waits in a queue for ever)
    and the request gets a 503 saying so; nothing is planned in the web process instead,
    where a city-wide plan would hold a server thread for minutes."""
    log.error("job %s: the broker is unreachable: %s", job.id, err)
    message = (
        "任务队列（Redis）不可用，规划未启动，请稍后重试 / The job queue (Redis) is "
        "unreachable; planning did not start. Try again later"
    )
    session.rollback()
    job.status, job.error = "failed", message
    session.commit()
    raise Unavailable(message, job_id=job.id)


def _run_in_app(app: Flask, job_id: str, kind: str = "plan") -> None:
    work = run_replan_job if kind == "replan" else run_plan_job
    with app.app_context():
        try:
            work(db.session, job_id)
        finally:
            db.session.remove()


#: Jobs a service writes as a row in its own transaction; they start once it commits, so a
#: job never runs on data that was rolled back, and the service commits only once.
STARTED_ON_COMMIT = {"replan"}


def _note_new_jobs(session: Session, _flush_context: Any) -> None:
    for obj in session.new:
        if isinstance(obj, Job) and obj.kind in STARTED_ON_COMMIT:
            session.info.setdefault("jobs_to_start", []).append(obj.id)


def _start_committed_jobs(session: Session) -> None:
    ids = session.info.pop("jobs_to_start", [])
    if not ids or not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for job_id in ids:
        if app.config.get("CELERY_BROKER_URL"):
            replan_day.delay(job_id)
        elif app.config.get("JOBS_EAGER"):
            _run_in_app(app, job_id, "replan")
        else:
            threading.Thread(target=_run_in_app, args=(app, job_id, "replan"), daemon=True).start()


def _forget_jobs(session: Session) -> None:
    session.info.pop("jobs_to_start", None)


event.listen(Session, "after_flush", _note_new_jobs)
event.listen(Session, "after_commit", _start_committed_jobs)
event.listen(Session, "after_rollback", _forget_jobs)


def get_job(session: DbSession, scope: Scope, job_id: str) -> Job:
    job = session.get(Job, job_id)
    if job is None or not job.region_prefix.startswith(scope.prefix):
        raise NotFound(f"没有任务 {job_id} / No job {job_id} in your region")
    return job
