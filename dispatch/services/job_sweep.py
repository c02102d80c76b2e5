"""The sweep of jobs that stopped moving: a city-wide plan's townships not planned are sent
again, or the job ends failed naming them; a booking's re-plan is sent again, or fails and its
villager is told.

A Celery worker killed at the wrong moment can lose a township's message outright (kombu's
Redis transport takes it off the queue before it records it as unacknowledged), and then the
job's chord never completes. The sweep (a beat task, ``JOB_SWEEP_S``) looks for a plan job
still queued or running whose row has not changed for ``JOB_STALE_S``: every township's
progress writes the row, so that is a lease the job's workers keep renewing.

A booking's re-plan job is one message, lost the same way; sent again, it re-plans unless the
job has ended meanwhile (``run_replan_job``).

Sending a township again cannot publish it twice for the job: its task first looks for the
version the job already made (``planned_by_job``), and two tasks planning it at once cannot
both publish, since a draft is published only over the version it was planned from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from dispatch.models.base import utcnow
from dispatch.models.plans import Job, Plan
from dispatch.models.regions import Region
from dispatch.models.session import DbSession
from dispatch.planning.runner import CitySummary
from dispatch.services.bookings import fail_replan
from dispatch.services.job_runs import finish_job

#: Statuses of a job that has not ended.
OPEN = ("queued", "running")


@dataclass(frozen=True)
class Resend:
    """A job to send to the workers again: a plan job's townships, with its parameters, or
    a re-plan job (no townships)."""

    job_id: str
    kind: str
    codes: list[str]
    params: dict[str, Any]


def job_reason(job_id: str) -> str:
    """The reason stored on the versions a planning job makes: it names the job."""
    return f"daily plan, job {job_id}"


def planned_by_job(session: DbSession, code: str, day: date, reason: str) -> Plan | None:
    """The version this job already made for the township, if any (a task delivered twice,
    or sent again by the sweep, must not publish a second version of the same job)."""
    return session.scalar(
        select(Plan)
        .join(Region, Plan.township_id == Region.id)
        .where(Region.code == code, Plan.day == day, Plan.reason == reason)
    )


def _plans_of(session: DbSession, job: Job) -> dict[str, Plan]:
    rows = session.execute(
        select(Region.code, Plan)
        .join(Region, Plan.township_id == Region.id)
        .where(
            Plan.day == date.fromisoformat(job.params["day"]),
            Plan.reason == job_reason(job.id),
            Region.code.in_(job.params["codes"]),
        )
    ).all()
    return {code: plan for code, plan in rows}


def _summary(job: Job, plans: dict[str, Plan], skipped: dict[str, str]) -> dict[str, Any]:
    """The job's result from what it stored: one entry per township planned or skipped."""
    summary = CitySummary(
        day=date.fromisoformat(job.params["day"]), townships=len(job.params["codes"])
    )
    for code in job.params["codes"]:
        if code in plans:
            summary.add(code, plans[code].summary, plans[code].id)
        elif code in skipped:
            summary.skipped[code] = skipped[code]
    return summary.as_dict()


def sweep_stale_jobs(
    session: DbSession, *, stale_after: timedelta, resends: int, now: datetime | None = None
) -> list[Resend]:
    """Settle each plan or re-plan job that has not moved for ``stale_after``; one commit.

    A plan job with all its townships planned (its chord's callback was lost) is done. A job
    with work left, sent again fewer than ``resends`` times, is returned to be sent again
    (its lease renewed); otherwise it fails: a plan job naming its townships not planned, a
    re-plan job telling the villager whose visit is not planned. The caller sends what is
    returned once this has committed.
    """
    now = now or utcnow()
    stale = session.scalars(
        select(Job)
        .where(
            Job.kind.in_(("plan", "replan")),
            Job.status.in_(OPEN),
            Job.updated_at < now - stale_after,
        )
        .order_by(Job.created_at)
        .with_for_update(skip_locked=True)
    ).all()
    out: list[Resend] = []
    for job in stale:
        plans = _plans_of(session, job) if job.kind == "plan" else {}
        left = [code for code in job.params.get("codes", []) if code not in plans]
        sent = int(job.params.get("resent", 0))
        if job.kind == "plan" and not left:
            job.status, job.done, job.result = "done", job.total, _summary(job, plans, {})
        elif sent < resends:
            job.params = job.params | {"resent": sent + 1}
            job.status, job.updated_at = "running", now
            out.append(Resend(job.id, job.kind, left, dict(job.params)))
        elif job.kind == "replan":
            fail_replan(
                session,
                job,
                f"任务中断（已重发{sent}次） / The job stopped (sent again {sent} times)",
            )
        else:
            why = "任务中断，未能规划 / interrupted, not planned"
            job.status, job.result = "failed", _summary(job, plans, dict.fromkeys(left, why))
            job.error = (
                f"任务中断（已重发{sent}次），以下乡镇未规划 / The job stopped (sent again "
                f"{sent} times); townships not planned: {', '.join(left)}"
            )
    session.commit()
    return out


def finish_resent_job(session: DbSession, job_id: str, skipped: dict[str, str]) -> None:
    """The townships sent again are all back: the job's result is read from the versions it
    stored, plus what was skipped (``skipped``); one commit (``finish_job``)."""
    job = session.get(Job, job_id)
    if job is None:
        return
    plans = _plans_of(session, job)
    finish_job(session, job_id, _summary(job, plans, skipped))
