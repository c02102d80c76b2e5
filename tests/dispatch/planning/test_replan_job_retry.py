"""A booking's re-plan job that loses the database connection runs again, so the booking
is planned (or its villager told) rather than left behind by a failed job (issue 17)."""

from __future__ import annotations

import uuid

import pytest
from flask_sqlalchemy.session import Session

from dispatch.extensions import db
from dispatch.models.plans import Job, Plan
from dispatch.services import job_runs as work
from tests.dispatch.api.test_lost_connection import DROPPED, _failing, no_backoff

__all__ = ["no_backoff"]  # the fixture, used by name


def _job(app, planned) -> str:
    app.config["JOBS_EAGER"] = True
    with app.app_context():
        plan = db.session.get(Plan, planned["id"])
        job_id = str(uuid.uuid4())
        job = Job(
            id=job_id,
            kind="replan",
            total=1,
            region_prefix=plan.township.code[:9],
            params={"township": plan.township.code, "day": planned["day"], "reason": "test"},
        )
        db.session.add(job)
        db.session.commit()
        db.session.remove()
    return job_id


def _run(app, planned) -> dict:
    """Commit a booking's re-plan job (the runner starts it on the commit, in-process here)."""
    job_id = _job(app, planned)
    with app.app_context():
        job = db.session.get(Job, job_id)
        out = {"status": job.status, "error": job.error, "result": job.result}
        db.session.remove()
    return out


@pytest.mark.parametrize("drops", [1, 2])
def test_a_dropped_connection_is_retried(app, planned, monkeypatch, no_backoff, drops) -> None:
    wrapped, calls = _failing(work.replan_published, drops)
    monkeypatch.setattr(work, "replan_published", wrapped)
    job = _run(app, planned)
    assert job["status"] == "done", job["error"]
    assert job["result"]["replanned"] is True and job["result"]["version"] > planned["version"]
    assert calls[0] == drops + 1


def test_a_connection_that_stays_down_fails_the_job(app, planned, monkeypatch, no_backoff) -> None:
    wrapped, calls = _failing(work.replan_published, 99)
    monkeypatch.setattr(work, "replan_published", wrapped)
    job = _run(app, planned)
    assert job["status"] == "failed" and "OperationalError" in job["error"]
    assert calls[0] == 3


def test_a_connection_dropped_at_the_jobs_first_read_is_retried(
    app, planned, monkeypatch, no_backoff
) -> None:
    """The job's own row is read inside the retry: a drop there does not leave it queued."""
    real, failed = Session.get, []

    def get(self, entity, *args, **kwargs):
        if entity is Job and not failed:
            failed.append(entity)
            raise DROPPED
        return real(self, entity, *args, **kwargs)

    monkeypatch.setattr(Session, "get", get)
    job = _run(app, planned)
    assert failed == [Job]
    assert job["status"] == "done", job["error"]
    assert job["result"]["version"] > planned["version"]
