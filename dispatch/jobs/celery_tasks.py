"""Celery tasks: ids in, services called; a city-wide plan fans out one task per township.

Workers run their tasks on threads (``worker_pool = "threads"``, twice as many threads as
solver processes), and the threads hand their solves to the worker's solver pool
(``dispatch.planning.solvers``): while one township is solved, others are read from and
written to the database. With ``DAIBAN_CELERY_POOL=prefork`` each child solves its own.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import partial
from typing import Any

from celery import Celery, Task, chord, shared_task
from celery.signals import worker_process_init, worker_ready, worker_shutdown
from flask import Flask, current_app

from dispatch.extensions import db
from dispatch.models.plans import Job, Plan
from dispatch.outbox_sender import drain_once
from dispatch.planning import solvers
from dispatch.planning.runner import CitySummary, Solver
from dispatch.resilience import run_again_on_disconnect
from dispatch.services import retention
from dispatch.services.job_runs import finish_job, mark_running, progress, run_replan_job
from dispatch.services.job_sweep import (
    finish_resent_job,
    job_reason,
    planned_by_job,
    sweep_stale_jobs,
)
from dispatch.services.plans import plan_city
from dispatch.services.ratings import apply_default_ratings
from dispatch.services.rectification import flag_overdue

log = logging.getLogger(__name__)


#: Retries of a broker or result-backend call before the error reaches the caller.
_SHORT_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def celery_init_app(app: Flask) -> Celery:
    """The Flask docs' pattern: every task runs inside an app context."""

    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.conf.update(
        broker_url=app.config["CELERY_BROKER_URL"],
        result_backend=app.config["CELERY_RESULT_BACKEND"] or app.config["CELERY_BROKER_URL"],
        task_acks_late=True,
        # A worker killed mid-task leaves its message unacknowledged; Redis hands it to
        # another worker once this many seconds have passed since it was taken (a township's
        # task takes seconds, so no task still running is handed out twice).
        broker_transport_options={"visibility_timeout": app.config["CELERY_VISIBILITY_S"]},
        task_reject_on_worker_lost=True,
        # An unreachable Redis fails a request in about a second, not after minutes of retries
        # (dispatch.jobs.runner answers 503).
        broker_connection_timeout=2,
        redis_socket_connect_timeout=2,
        task_publish_retry_policy=_SHORT_RETRY,
        result_backend_transport_options={"retry_policy": _SHORT_RETRY},
        worker_prefetch_multiplier=1,
        task_serializer="json",
        worker_pool=app.config["CELERY_POOL"],
        worker_concurrency=2 * app.config["SOLVER_PROCESSES"]
        if app.config["CELERY_POOL"] == "threads"
        else app.config["SOLVER_PROCESSES"],
        timezone="Asia/Shanghai",
        daiban_solver_processes=app.config["SOLVER_PROCESSES"],
        beat_schedule=_drain(app.config["OUTBOX_DRAIN_S"])
        | {
            # A job whose message a killed worker lost is settled (services.job_sweep).
            "sweep-jobs": {
                "task": "dispatch.jobs.celery_tasks.sweep_jobs",
                "schedule": app.config["JOB_SWEEP_S"],
            },
            # 好差评: unrated deliveries count as 基本满意 after 7 days; hourly is enough and
            # the job is idempotent, so a missed beat costs nothing.
            "default-ratings": {
                "task": "dispatch.jobs.celery_tasks.default_ratings",
                "schedule": 3600.0,
            },
            # Overdue rectifications flagged to the township and the county; idempotent too.
            "flag-overdue-rectifications": {
                "task": "dispatch.jobs.celery_tasks.flag_overdue_rectifications",
                "schedule": 3600.0,
            },
            # Retention: daily, idempotent (a missed day purges the next).
            "purge-expired": {
                "task": "dispatch.jobs.celery_tasks.purge_expired",
                "schedule": 86400.0,
            },
        },
    )
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def _drain(every: float) -> dict[str, Any]:
    """Beat's outbox drain, unless a ``daiban notify-worker`` sends instead (``every`` 0)."""
    task = {"task": "dispatch.jobs.celery_tasks.drain_outbox", "schedule": every}
    return {"drain-outbox": task} if every > 0 else {}


# Set in a prefork child: the child is itself a solver process and needs no pool.
_solve_here = False


@worker_process_init.connect  # type: ignore[untyped-decorator]
def _in_prefork_child(**_: object) -> None:
    global _solve_here
    _solve_here = True


@worker_ready.connect  # type: ignore[untyped-decorator]
def _start_solvers(sender: Any, **_: object) -> None:
    """A thread-pool worker starts its solver processes before it takes the first task."""
    conf = sender.app.conf
    if conf.worker_pool == "threads":
        solvers.warm(conf.daiban_solver_processes)


@worker_shutdown.connect  # type: ignore[untyped-decorator]
def _stop_solvers(**_: object) -> None:
    solvers.shutdown()


def _solver() -> Solver | None:
    """The worker's shared solver pool, or ``None`` to solve in this process."""
    if _solve_here:
        return None
    return partial(solvers.solve_shared, processes=current_app.config["SOLVER_PROCESSES"])


def _per_task(params: dict[str, Any]) -> dict[str, Any]:
    return {k: params[k] for k in ("day", "objective", "time_limit") if k in params}


def fan_out_plan(job_id: str, codes: list[str], params: dict[str, Any]) -> None:
    """One task per township, with the job's parameters in each message (no database read
    per task); the first marks the job running, and the chord's callback finishes it."""
    per_task = _per_task(params)
    chord(plan_one.s(job_id, code, per_task, first=n == 0) for n, code in enumerate(codes))(
        finish_plan.s(job_id)
    )


# Celery ships no type hints, so ``shared_task`` is an untyped decorator to mypy; the task
# bodies are still checked, only the decorated names become ``Any`` (they are Celery tasks).
@shared_task(name="dispatch.jobs.celery_tasks.plan_one")  # type: ignore[untyped-decorator]
def plan_one(
    job_id: str, code: str, params: dict[str, Any] | None = None, first: bool = False
) -> dict[str, Any]:
    """Plan and publish one township; returns its summary for the chord to gather.

    ``params`` come in the message (a message queued before they did reads the job), and the
    ``first`` township's task marks the job running: with 108 townships a read or a write of
    the job per task is measurable on a 2-core machine.
    """

    def begin() -> tuple[dict[str, Any], Plan | None]:
        job_params, mark = params, first
        if job_params is None:
            job = db.session.get(Job, job_id)
            assert job is not None
            job_params, mark = job.params, True
        if mark:
            mark_running(db.session, job_id)
        day = date.fromisoformat(job_params["day"])
        return job_params, planned_by_job(db.session, code, day, job_reason(job_id))

    # A connection dropped at the job's first reads must not fail the task (the chord, and
    # the job, would wait for the sweep): these steps are repeatable, so they run again.
    job_params, done = run_again_on_disconnect(db.session, begin, f"plan job {job_id} {code}")
    day = date.fromisoformat(job_params["day"])
    if done is not None:  # a redelivery after a worker died having published it
        summary = CitySummary(day=day, townships=1)
        summary.add(code, done.summary, done.id)
    else:
        summary = _plan_township(job_id, code, day, job_params, job_reason(job_id))
    run_again_on_disconnect(
        db.session, lambda: progress(db.session, job_id), f"progress of job {job_id}"
    )
    return summary.as_dict() | {"code": code}


def _plan_township(
    job_id: str, code: str, day: date, params: dict[str, Any], reason: str
) -> CitySummary:
    try:
        summary = plan_city(
            db.session,
            day,
            codes=[code],
            objective=params.get("objective", "distance"),
            time_limit=params.get("time_limit", 0.5),
            workers=1,
            solver=_solver(),
            reason=reason,
        )
    except Exception as err:  # a failed township must not leave the chord, and the job, hanging
        db.session.rollback()
        summary = CitySummary(day=day, townships=1)
        # A second delivery of the township (redelivered, or sent again by the sweep) that
        # ran beside the first cannot publish over it (a 409): the first one's version counts.
        done = planned_by_job(db.session, code, day, reason)
        if done is not None:
            summary.add(code, done.summary, done.id)
            return summary
        log.exception("planning %s for job %s failed", code, job_id)
        summary.skipped[code] = f"内部错误 / internal error: {type(err).__name__}"
    return summary


@shared_task(name="dispatch.jobs.celery_tasks.finish_plan")  # type: ignore[untyped-decorator]
def finish_plan(results: list[dict[str, Any]], job_id: str) -> None:
    finish_job(db.session, job_id, merge_summaries(results))


@shared_task(name="dispatch.jobs.celery_tasks.sweep_jobs")  # type: ignore[untyped-decorator]
def sweep_jobs() -> int:
    """The beat's sweep: settle stalled jobs, then send them again: a plan job's townships
    as a chord whose callback finishes the job, a re-plan as it was. Returns how many jobs."""
    config = current_app.config
    resends = sweep_stale_jobs(
        db.session,
        stale_after=timedelta(seconds=config["JOB_STALE_S"]),
        resends=config["JOB_RESENDS"],
    )
    for resend in resends:
        if resend.kind == "replan":
            log.warning("re-plan job %s stalled: sending it again", resend.job_id)
            replan_day.delay(resend.job_id)
            continue
        log.warning("job %s stalled: sending %s again", resend.job_id, ", ".join(resend.codes))
        per_task = _per_task(resend.params)
        chord(plan_one.s(resend.job_id, code, per_task) for code in resend.codes)(
            finish_resent.s(resend.job_id)
        )
    return len(resends)


@shared_task(name="dispatch.jobs.celery_tasks.finish_resent")  # type: ignore[untyped-decorator]
def finish_resent(results: list[dict[str, Any]], job_id: str) -> None:
    finish_resent_job(db.session, job_id, merge_summaries(results)["skipped"])


@shared_task(name="dispatch.jobs.celery_tasks.replan_day")  # type: ignore[untyped-decorator]
def replan_day(job_id: str) -> None:
    """The re-plan a booking or a cancellation asked for (``services.job_runs.run_replan_job``)."""
    run_replan_job(db.session, job_id)


def merge_summaries(results: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "planned": 0,
        "townships": len(results),
        "tasks": 0,
        "assigned": 0,
        "agents": 0,
        "km": 0.0,
        "longest_agent_day_hours": 0.0,
        "unassigned_by_reason": {},
        "skipped": {},
        "plan_ids": [],
    }
    for r in results:
        out["planned"] += r["planned"]
        for key in ("tasks", "assigned", "agents", "km"):
            out[key] += r[key]
        out["longest_agent_day_hours"] = max(
            out["longest_agent_day_hours"], r["longest_agent_day_hours"]
        )
        for reason, n in r["unassigned_by_reason"].items():
            out["unassigned_by_reason"][reason] = out["unassigned_by_reason"].get(reason, 0) + n
        out["skipped"].update(r["skipped"])
        out["plan_ids"] += r["plan_ids"]
    out["km"] = round(out["km"], 1)
    return out


@shared_task(name="dispatch.jobs.celery_tasks.drain_outbox")  # type: ignore[untyped-decorator]
def drain_outbox() -> int:
    return drain_once()


@shared_task(name="dispatch.jobs.celery_tasks.default_ratings")  # type: ignore[untyped-decorator]
def default_ratings() -> int:
    return apply_default_ratings(db.session)


@shared_task(name="dispatch.jobs.celery_tasks.purge_expired")  # type: ignore[untyped-decorator]
def purge_expired() -> int:
    periods = retention.Periods.from_config(current_app.config)
    return retention.purge_expired(db.session, periods).receipts


@shared_task(name="dispatch.jobs.celery_tasks.flag_overdue_rectifications")  # type: ignore[untyped-decorator]
def flag_overdue_rectifications() -> int:
    return flag_overdue(db.session)
