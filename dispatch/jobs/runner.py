"""Start jobs and read their status; where they run depends on the configuration.

A service writes a job's row in its own transaction; the job starts when that commits (an
``after_commit`` hook), in-process or on Celery. The only writes here are a job's own status.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask, current_app, has_app_context
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import event
from sqlalchemy.orm import Session

from dispatch.errors import NotFound
from dispatch.extensions import db
from dispatch.jobs.celery_tasks import fan_out_plan, replan_day
from dispatch.models.plans import NOT_STARTED, Job
from dispatch.models.session import DbSession
from dispatch.models.users import Scope
from dispatch.services.job_runs import fail_job, run_plan_job, run_replan_job

log = logging.getLogger(__name__)
#: What publishing to an unreachable broker (or the chord's Redis result backend) raises.
BROKER_DOWN = (KombuOperationalError, RedisConnectionError, ConnectionError)


def _broker_down(app: Flask, session: Session, job_id: str, err: Exception) -> None:
    """Redis is unreachable: the job is failed at once (nothing waits in a queue for ever),
    and the session that committed it is told why (``NOT_STARTED``), so a request can answer
    503; nothing is planned in the web process instead, where a city-wide plan would hold a
    server thread for minutes."""
    log.error("job %s: the broker is unreachable: %s", job_id, err)
    message = (
        "任务队列（Redis）不可用，任务未启动，请稍后重试 / The job queue (Redis) is "
        "unreachable; the job did not start. Try again later"
    )
    with app.app_context():  # a session of its own: the committing one cannot write now
        try:
            fail_job(db.session, job_id, message)
        finally:
            db.session.remove()
    session.info.setdefault(NOT_STARTED, {})[job_id] = message


def _run_in_app(app: Flask, job_id: str, kind: str) -> None:
    work = run_replan_job if kind == "replan" else run_plan_job
    with app.app_context():
        try:
            work(db.session, job_id)
        finally:
            db.session.remove()


#: Jobs a service writes as a row in its own transaction; they start once it commits, so a
#: job never runs on data that was rolled back, and the service commits only once.
STARTED_ON_COMMIT = {"plan", "replan"}


def _note_new_jobs(session: Session, _flush_context: Any) -> None:
    # What starting needs is read here: after the commit the session may not emit SQL. A row
    # written as already done or failed (an import, a test's fixture) is not started.
    for obj in session.new:
        if isinstance(obj, Job) and obj.kind in STARTED_ON_COMMIT and obj.status == "queued":
            session.info.setdefault("jobs_to_start", []).append(
                (obj.id, obj.kind, dict(obj.params))
            )


def _start_committed_jobs(session: Session) -> None:
    jobs = session.info.pop("jobs_to_start", [])
    if not jobs or not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for job_id, kind, params in jobs:
        if app.config.get("CELERY_BROKER_URL"):
            try:
                if kind == "plan":
                    fan_out_plan(job_id, params["codes"], params)
                else:
                    replan_day.delay(job_id)
            except BROKER_DOWN as err:
                _broker_down(app, session, job_id, err)
        elif app.config.get("JOBS_EAGER"):
            _run_in_app(app, job_id, kind)
        else:
            threading.Thread(target=_run_in_app, args=(app, job_id, kind), daemon=True).start()


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
