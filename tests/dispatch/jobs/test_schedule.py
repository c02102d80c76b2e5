"""The embedded server's daily jobs: once a day across processes, none while another
process runs it, none when Celery beat has them."""

from __future__ import annotations

import fcntl
from pathlib import Path

from flask import Flask

from dispatch.jobs.schedule import DAY_S, DailyJob, start_embedded


def _job(tmp_path: Path, ran: list[int]) -> DailyJob:
    return DailyJob(Flask("t"), "count", lambda: ran.append(1), tmp_path)


def test_a_daily_job_runs_once_a_day(tmp_path: Path) -> None:
    """Due at first, not again the same day, due again a day later; the stamp survives a
    restart (a new DailyJob on the same directory)."""
    ran: list[int] = []
    assert _job(tmp_path, ran).run_if_due(now=1000.0) is True
    assert _job(tmp_path, ran).run_if_due(now=1000.0 + DAY_S - 1) is False
    assert _job(tmp_path, ran).run_if_due(now=1000.0 + DAY_S) is True
    assert ran == [1, 1]


def test_a_job_another_process_holds_is_skipped(tmp_path: Path) -> None:
    """While the lock is taken the job does not run, and stays due."""
    ran: list[int] = []
    job = _job(tmp_path, ran)
    with job.lock.open("a") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert job.run_if_due(now=5.0) is False
    assert ran == [] and job.due(5.0)
    assert job.run_if_due(now=5.0) is True and ran == [1]


def test_no_thread_when_celery_beat_runs_the_jobs(tmp_path: Path) -> None:
    """A broker set, or the schedule switched off: no thread."""
    app = Flask("t")
    app.config.update(FILES_DIR=str(tmp_path), SQLALCHEMY_DATABASE_URI="sqlite://")
    app.config["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/0"
    assert start_embedded(app) is None
    app.config.update(CELERY_BROKER_URL="", EMBEDDED_SCHEDULE=False)
    assert start_embedded(app) is None
