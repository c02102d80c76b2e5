"""Daily jobs without Celery: the embedded server (``make run``, SQLite, no broker) runs the
retention job itself, as Celery beat does in production (dispatch.jobs.celery_tasks).

Every server process starts the same small thread; each hour it takes a file lock (without
waiting) and runs the job when its stamp file says the last run is a day old. So the job runs
once a day across processes and restarts, and a missed day runs at the next start. The job is
idempotent (services.retention), so a run cut short costs nothing.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from dispatch.extensions import db, files_dir
from dispatch.services import retention

log = logging.getLogger(__name__)
DAY_S = 86400.0
TICK_S = 3600.0


class DailyJob:
    """``run`` at most once every ``every_s``, across the processes sharing ``state_dir``."""

    def __init__(
        self,
        app: Flask,
        name: str,
        run: Callable[[], object],
        state_dir: Path,
        every_s: float = DAY_S,
    ) -> None:
        self.app, self.name, self.run, self.every_s = app, name, run, every_s
        self.stamp = Path(state_dir) / f".daily-{name}"
        self.lock = Path(state_dir) / f".daily-{name}.lock"

    def due(self, now: float) -> bool:
        try:
            last = float(self.stamp.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return True
        return now - last >= self.every_s

    def run_if_due(self, now: float | None = None) -> bool:
        """Run the job if it is due and no other process is running it; whether it ran."""
        now = time.time() if now is None else now
        self.lock.parent.mkdir(parents=True, exist_ok=True)
        with self.lock.open("a") as held:
            try:
                fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # another process has it
            if not self.due(now):
                return False
            with self.app.app_context():
                try:
                    outcome = self.run()
                finally:
                    db.session.remove()
            self.stamp.write_text(f"{now}\n")
            log.info("daily job %s ran: %s", self.name, outcome)
            return True

    def loop(self, tick_s: float = TICK_S) -> None:
        while True:
            try:
                self.run_if_due()
            except Exception:  # a failed run is retried next tick; the thread must live on
                log.exception("daily job %s failed", self.name)
            time.sleep(tick_s)


def retention_job(app: Flask) -> DailyJob:
    """The retention job (``daiban purge-expired``), state beside the image files."""

    def purge() -> retention.Purged:
        periods = retention.Periods.from_config(app.config)
        return retention.purge_expired(db.session, periods)

    return DailyJob(app, "retention", purge, files_dir(app.config))


def start_embedded(app: Flask) -> threading.Thread | None:
    """Start the daily jobs' thread unless Celery beat runs them (a broker is set) or they
    are switched off (DAIBAN_EMBEDDED_SCHEDULE=0)."""
    if app.config.get("CELERY_BROKER_URL") or not app.config.get("EMBEDDED_SCHEDULE", True):
        return None
    job = retention_job(app)
    thread = threading.Thread(target=job.loop, name="daiban-daily", daemon=True)
    thread.start()
    return thread
