"""The per-township Celery task's body, run here: its job parameters come in the message."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import insert

from dispatch.extensions import db
from dispatch.jobs.celery_tasks import plan_one
from dispatch.models.plans import Job
from dispatch.setup.demo import DEMO_TOWNSHIP

DAYS = iter([date(2031, 3, 10), date(2031, 3, 11)])  # a Monday and Tuesday no other test plans


@pytest.fixture()
def queued(ctx):
    """A queued two-township job whose parameters are only in the database."""

    def make(day: date) -> Job:
        # A plain INSERT, as for a job whose tasks are already on the queue: a Job added to
        # a session would be started by the job runner when it commits.
        job_id = str(uuid.uuid4())
        db.session.execute(
            insert(Job).values(
                id=job_id,
                kind="plan",
                total=2,
                params={"codes": [DEMO_TOWNSHIP], "day": day.isoformat(), "time_limit": 0.3},
            )
        )
        db.session.commit()
        job = db.session.get(Job, job_id)
        assert job is not None and job.status == "queued"
        return job

    return make


@pytest.mark.parametrize("in_message", [True, False], ids=["params in message", "older message"])
def test_the_first_township_marks_the_job_running(queued, in_message):
    """With the parameters in the message the task reads no job; the first township's task
    marks it running; a message queued before parameters travelled reads them from the job."""
    job = queued(next(DAYS))
    params = {"day": job.params["day"], "time_limit": 0.3} if in_message else None
    summary = plan_one.run(job.id, DEMO_TOWNSHIP, params, first=in_message)
    assert summary["code"] == DEMO_TOWNSHIP and summary["planned"] == 1, summary
    assert summary["day"] == job.params["day"]
    db.session.expire_all()
    assert (job.status, job.done) == ("running", 1)
    if in_message:  # a later township's task, finishing before the first started
        job.status = "queued"
        db.session.commit()
        plan_one.run(job.id, DEMO_TOWNSHIP, params, first=False)
        db.session.expire_all()
        assert (job.status, job.done) == ("running", 2)
