"""The sweep of stalled plan jobs: townships not planned are sent again a bounded number of
times, then the job fails naming them; a job whose townships are all planned is done."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, update

from dispatch.extensions import db
from dispatch.jobs.celery_tasks import plan_one
from dispatch.models.base import utcnow
from dispatch.models.plans import Job
from dispatch.services.job_runs import finish_job, run_replan_job
from dispatch.services.job_sweep import finish_resent_job, sweep_stale_jobs
from tests.dispatch.conftest import DEMO_TOWNSHIP, OTHER_COUNTY_TOWNSHIP, OTHER_TOWNSHIP_SAME_COUNTY

# Weekdays from 2031-03-12 on, which no other test plans; each job takes its own.
DAYS = (
    day for day in (date(2031, 3, 12) + timedelta(days=n) for n in range(60)) if day.weekday() < 5
)
CODES = [DEMO_TOWNSHIP, OTHER_TOWNSHIP_SAME_COUNTY, OTHER_COUNTY_TOWNSHIP]
#: Only jobs left alone this long are swept, so no other test's job is touched.
STALE = timedelta(hours=1)


def _job(codes: list[str], status: str = "running") -> Job:
    """A plan job written as its tasks' workers would find it (a plain INSERT: a Job added
    to a session would be started by the job runner when it commits)."""
    job_id = str(uuid.uuid4())
    params = {"codes": codes, "day": next(DAYS).isoformat(), "time_limit": 0.3}
    db.session.execute(
        insert(Job).values(id=job_id, kind="plan", total=len(codes), status=status, params=params)
    )
    db.session.commit()
    job = db.session.get(Job, job_id)
    assert job is not None
    return job


def _plan(job: Job, code: str) -> None:
    """The township's task, run here: it plans and publishes the township for the job."""
    summary = plan_one.run(job.id, code, {"day": job.params["day"], "time_limit": 0.3})
    assert summary["planned"] == 1, summary


def _leave_alone(job: Job) -> None:
    """The job's row as if no worker had written it for two hours."""
    db.session.execute(update(Job).where(Job.id == job.id).values(updated_at=utcnow() - 2 * STALE))
    db.session.commit()


def _sweep(job: Job) -> list[str] | None:
    """One sweep; the townships it sends again for ``job``, or None if it sends none."""
    sent = sweep_stale_jobs(db.session, stale_after=STALE, resends=2)
    db.session.expire_all()
    return next((r.codes for r in sent if r.job_id == job.id), None)


def test_a_stalled_job_sends_its_unplanned_townships_again_then_fails_naming_them(ctx):
    """Twice sent again, renewing the lease; the third stall fails it with the names."""
    job = _job(CODES)
    _plan(job, DEMO_TOWNSHIP)
    _leave_alone(job)
    assert _sweep(job) == CODES[1:]
    assert (job.status, job.params["resent"]) == ("running", 1)
    assert _sweep(job) is None, "the lease was renewed: not stale again at once"
    _leave_alone(job)
    assert _sweep(job) == CODES[1:]
    _leave_alone(job)
    assert _sweep(job) is None
    assert job.status == "failed"
    assert OTHER_TOWNSHIP_SAME_COUNTY in job.error and OTHER_COUNTY_TOWNSHIP in job.error
    assert DEMO_TOWNSHIP not in job.error
    assert job.result["planned"] == 1 and set(job.result["skipped"]) == set(CODES[1:])


@pytest.mark.parametrize("status", ["queued", "running"])
def test_a_stalled_job_with_every_township_planned_is_done(ctx, status):
    """Its chord's callback was lost: the sweep finishes it from the versions it stored."""
    job = _job(CODES[:2], status=status)
    for code in CODES[:2]:
        _plan(job, code)
    _leave_alone(job)
    assert _sweep(job) is None
    assert (job.status, job.done) == ("done", 2)
    assert job.result["planned"] == 2 and len(job.result["plan_ids"]) == 2, job.result


def test_a_job_still_moving_or_ended_is_left_alone(ctx):
    """A township's progress renews the lease; a done job is not swept (nor finished again)."""
    moving = _job(CODES)
    ended = _job(CODES, status="done")
    _leave_alone(moving)
    _plan(moving, DEMO_TOWNSHIP)
    _leave_alone(ended)
    assert _sweep(moving) is None and _sweep(ended) is None
    assert (moving.status, ended.status) == ("running", "done")
    finish_job(db.session, ended.id, {"planned": 0, "skipped": {"x": "y"}})
    db.session.expire_all()
    assert (ended.status, ended.result) == ("done", {})


def test_the_townships_sent_again_finish_the_job_from_what_it_stored(ctx):
    """The resent chord's callback: planned from the job's versions, skipped as reported."""
    job = _job(CODES[:2])
    _plan(job, DEMO_TOWNSHIP)
    _leave_alone(job)
    assert _sweep(job) == CODES[1:2]
    finish_resent_job(db.session, job.id, {CODES[1]: "没有代办员 / no agent on shift"})
    db.session.expire_all()
    assert job.status == "done"
    assert job.result["planned"] == 1 and job.result["skipped"] == {
        CODES[1]: "没有代办员 / no agent on shift"
    }


def test_a_stalled_replan_job_is_sent_again_then_fails(ctx):
    """A booking's re-plan whose message was lost: sent again twice, then failed; sent again
    after it ended (or delivered late), it does nothing."""
    job_id = str(uuid.uuid4())
    params = {"township": DEMO_TOWNSHIP, "day": next(DAYS).isoformat(), "reason": "booking"}
    db.session.execute(insert(Job).values(id=job_id, kind="replan", status="queued", params=params))
    db.session.commit()
    job = db.session.get(Job, job_id)
    assert job is not None
    for n in (1, 2):
        _leave_alone(job)
        sent = sweep_stale_jobs(db.session, stale_after=STALE, resends=2)
        db.session.expire_all()
        assert [(r.kind, r.codes) for r in sent if r.job_id == job_id] == [("replan", [])]
        assert (job.status, job.params["resent"]) == ("running", n)
    _leave_alone(job)
    assert _sweep(job) is None
    assert job.status == "failed" and "sent again 2 times" in job.error, job.error
    run_replan_job(db.session, job_id)
    db.session.expire_all()
    assert (job.status, job.result) == ("failed", {})
