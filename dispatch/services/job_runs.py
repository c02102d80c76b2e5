"""The work a job does, as service functions of ids: the same in a thread or on Celery.

Each writes one step of a job's life (started, progress, finished, failed) and commits it: the
jobs in ``dispatch.jobs`` only call these, so they hold no transaction of their own.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy import case, update

from dispatch.errors import DomainError
from dispatch.models.plans import Job
from dispatch.models.session import DbSession
from dispatch.resilience import run_again_on_disconnect
from dispatch.services.bookings import replan_failed
from dispatch.services.plans import plan_city, replan_published

log = logging.getLogger(__name__)


def progress(session: DbSession, job_id: str, step: int = 1) -> None:
    """Count finished townships; committed at once so pollers see it.

    One ``UPDATE`` adds the step: Celery workers finish townships at the same time, and a
    read-then-write would lose counts (the percentage could even go backwards). A job still
    marked queued (its first township's task has not started yet) is running now.
    """
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            done=case((Job.done + step > Job.total, Job.total), else_=Job.done + step),
            status=case((Job.status == "queued", "running"), else_=Job.status),
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()


def mark_running(session: DbSession, job_id: str) -> None:
    """A queued job has started (one statement: a job already running stays as it is)."""
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "queued")
        .values(status="running")
        .execution_options(synchronize_session=False)
    )
    session.commit()


def run_plan_job(session: DbSession, job_id: str) -> None:
    """Plan the townships named in the job and record the summary."""
    job = session.get(Job, job_id)
    if job is None:
        return
    job.status = "running"
    session.commit()
    params = dict(job.params)
    try:
        summary = plan_city(
            session,
            date.fromisoformat(params["day"]),
            codes=params["codes"],
            objective=params.get("objective", "distance"),
            time_limit=params.get("time_limit", 0.5),
            workers=params.get("workers"),  # None: the solver pool, as ``daiban plan``
            on_progress=lambda n: progress(session, job_id, n),
        )
    except DomainError as err:
        fail_job(session, job_id, err.message)
        return
    except Exception as err:  # a job must always end with a status a person can read
        log.exception("plan job %s failed", job_id)
        fail_job(session, job_id, f"内部错误 / internal error: {type(err).__name__}")
        return
    finish_job(session, job_id, summary.as_dict())


def run_replan_job(session: DbSession, job_id: str) -> None:
    """Re-plan and publish the township's day a booking or a cancellation changed."""

    def replan() -> dict[str, Any] | None:
        # The job is read inside the retry too: a connection dropped at this first read would
        # otherwise fail the task and leave the job queued until the sweep, far too late.
        job = session.get(Job, job_id)
        if job is None or job.status in ("done", "failed"):
            return None  # a message delivered again, or sent again by the sweep, after it ended
        params = dict(job.params)
        mark_running(session, job_id)
        return replan_published(
            session, params["township"], date.fromisoformat(params["day"]), params["reason"]
        )

    try:
        # A dropped connection must not leave a booking neither planned nor its villager told:
        # the re-plan commits once or not at all, so it is run again.
        result = run_again_on_disconnect(session, replan, f"replan job {job_id}")
    except DomainError as err:
        replan_failed(session, job_id, err.message)
        return
    except Exception as err:  # a job must always end with a status a person can read
        log.exception("replan job %s failed", job_id)
        replan_failed(session, job_id, f"内部错误 / internal error: {type(err).__name__}")
        return
    if result is not None:
        finish_job(session, job_id, result)


def finish_job(session: DbSession, job_id: str, result: dict[str, Any]) -> None:
    """The one way a job ends well or badly: failed when townships were skipped and none
    planned (in-process and Celery alike). A job already done stays as it is: with Celery a
    plan job can be finished both by its chord and by the sweep (``services.job_sweep``)."""
    job = session.get(Job, job_id)
    assert job is not None
    if job.status == "done":
        session.rollback()
        return
    job.result = result
    job.done = job.total
    skipped = result.get("skipped") or {}
    job.status = "failed" if skipped and not result.get("planned") else "done"
    if job.status == "failed":
        job.error = "; ".join(f"{k}: {v}" for k, v in skipped.items())
    session.commit()


def fail_job(session: DbSession, job_id: str, message: str) -> None:
    """The job ends failed with a message a person can read; what it did is rolled back."""
    session.rollback()
    job = session.get(Job, job_id)
    assert job is not None
    job.status, job.error = "failed", message
    session.commit()
