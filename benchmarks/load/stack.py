"""The production set-up on this machine: gunicorn, 2 Celery workers and beat, on PostgreSQL
and Redis, each a child process of ours on the load test's own ports and databases.

``Stack`` builds a fresh database (migrations, the Jieyang divisions, the seeded demo, the
demo day planned and published), then starts the processes and waits until ``/readyz`` says
ready. Every process runs under ``nice`` in its own process group, so a fault test can kill
one worker (``kill_worker``) and ``stop`` ends exactly what it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import redis
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CST_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class StackConfig:
    """Where the load test's stack lives: ports 5161-5169, Redis dbs 10-12, its own database."""

    pg_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/load_run"
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    broker_db: int = 10
    limits_db: int = 11
    port: int = 5161
    web_workers: int = 2
    web_threads: int = 4
    celery_workers: int = 2
    seed: int = 7
    nice: int = 10
    plan_time_limit_s: float = 1.0
    #: Send the outbox with a ``daiban notify-worker`` process instead of Celery beat's drain.
    notify_worker: bool = False
    run_dir: Path = ROOT / "instance" / "load"
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def redis_url(self, db: int) -> str:
        return f"redis://{self.redis_host}:{self.redis_port}/{db}"


def demo_day(now: datetime | None = None) -> date:
    """Today in CST if it is a working day, else the next one: the day the agents work."""
    from dispatch.workdays import CST, is_working_day, next_working_day

    today = (now or datetime.now(CST)).astimezone(CST).date()
    return today if is_working_day(today) else next_working_day(today)


class Stack:
    """The processes of one load run; use as a context manager or call start/stop."""

    def __init__(self, config: StackConfig | None = None) -> None:
        self.config = config or StackConfig()
        self.day = demo_day()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.config.run_dir.mkdir(parents=True, exist_ok=True)

    # -- environment -------------------------------------------------------------------------

    def env(self, **overrides: str) -> dict[str, str]:
        c = self.config
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DAIBAN_", "CELERY_"))}
        env.update(
            DATABASE_URL=c.pg_url,
            CELERY_BROKER_URL=c.redis_url(c.broker_db),
            RATELIMIT_STORAGE_URI=c.redis_url(c.limits_db),
            SECRET_KEY="load-test-only-secret-key-0123456789abcdef0123456789abcdef",
            JWT_SECRET_KEY="load-test-only-jwt-key-0123456789abcdef0123456789abcdef0",
            # Every simulated villager sends its own X-Forwarded-For, as behind nginx.
            DAIBAN_PROXY_COUNT="1",
            DAIBAN_SOLVER_PROCESSES="1",
            DAIBAN_PLAN_TIME_LIMIT_S=str(c.plan_time_limit_s),
            DAIBAN_PUSH_CHANNEL="log",
            DAIBAN_SMS_CHANNEL="log",
            DAIBAN_RATE_URL=f"{c.base_url}/rate",
            PYTHONUNBUFFERED="1",
        )
        if c.notify_worker:
            env["DAIBAN_OUTBOX_DRAIN_S"] = "0"
        env.update(c.extra_env)
        env.update(overrides)
        return env

    def _nice(self, argv: list[str]) -> list[str]:
        return ["nice", "-n", str(self.config.nice), *argv] if self.config.nice else argv

    # -- database ----------------------------------------------------------------------------

    def fresh_database(self) -> None:
        """Drop everything in the database and in our Redis dbs, then seed and plan the demo."""
        engine = sa.create_engine(self.config.pg_url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        for db in (self.config.broker_db, self.config.limits_db):
            redis.Redis.from_url(self.config.redis_url(db)).flushdb()
        # Planned in-process: the broker is not up yet, and this is set-up, not the load.
        env = self.env(CELERY_BROKER_URL="")
        argv = [str(BIN / "daiban"), "demo-setup", "--seed", str(self.config.seed)]
        argv += ["--date", self.day.isoformat()]
        with open(self.config.run_dir / "setup.log", "wb") as log:
            subprocess.run(self._nice(argv), env=env, cwd=ROOT, stdout=log, stderr=log, check=True)

    # -- processes ---------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str], **env: str) -> None:
        log = open(self.config.run_dir / f"{name}.log", "wb")  # noqa: SIM115 (kept open)
        self.procs[name] = subprocess.Popen(
            self._nice(argv),
            env=self.env(**env),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_web(self) -> None:
        c = self.config
        argv = [str(BIN / "daiban"), "serve", "--host", "127.0.0.1", "--port", str(c.port)]
        argv += ["--workers", str(c.web_workers), "--threads", str(c.web_threads)]
        self._spawn("web", argv)

    def start_worker(self, n: int) -> None:
        argv = [str(BIN / "celery"), "-A", "dispatch.celery_worker", "worker"]
        argv += ["-n", f"load{n}@%h", "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
        self._spawn(f"worker{n}", argv)

    def start_beat(self) -> None:
        schedule = self.config.run_dir / "beat-schedule"
        argv = [str(BIN / "celery"), "-A", "dispatch.celery_worker", "beat", "--loglevel", "INFO"]
        argv += ["-s", str(schedule)]
        self._spawn("beat", argv)

    def start_notify_worker(self, n: int = 1) -> None:
        argv = [str(BIN / "daiban"), "notify-worker", "--poll", "0.2"]
        self._spawn(f"notify{n}", argv)

    def start(self, *, fresh: bool = True) -> None:
        if fresh:
            self.fresh_database()
        self.start_web()
        for n in range(1, self.config.celery_workers + 1):
            self.start_worker(n)
        self.start_beat()
        if self.config.notify_worker:
            self.start_notify_worker()
        self.wait_ready()
        self.wait_workers()

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(f"{self.config.base_url}/readyz", timeout=5) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"the web server did not get ready in {timeout} s (see web.log)")

    def wait_workers(self, timeout: float = 90.0) -> None:
        """Until every Celery worker logs that it is ready (its solver pool is warm)."""
        deadline = time.monotonic() + timeout
        names = [n for n in self.procs if n.startswith("worker")]
        while time.monotonic() < deadline:
            self._check_alive()
            logs = [(self.config.run_dir / f"{n}.log").read_text(errors="replace") for n in names]
            if all(" ready." in text for text in logs):
                return
            time.sleep(0.5)
        raise TimeoutError(f"the Celery workers did not get ready in {timeout} s")

    def _check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None and not name.startswith("killed"):
                log = self.config.run_dir / f"{name}.log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def kill_worker(self, n: int) -> None:
        """SIGKILL a Celery worker and its solver processes (its whole process group)."""
        self.kill(f"worker{n}")

    def kill(self, name: str) -> None:
        """SIGKILL one process we started (its whole process group): ``worker1``, ``notify1``."""
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        self.procs[f"killed-{name}"] = proc

    def stop(self) -> None:
        """SIGTERM each process group we started (gunicorn and Celery stop gracefully)."""
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 40
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()

    def archive_logs(self, to: Path) -> None:
        to.mkdir(parents=True, exist_ok=True)
        for log in self.config.run_dir.glob("*.log"):
            shutil.copy(log, to / log.name)


@contextmanager
def running_stack(config: StackConfig | None = None, *, fresh: bool = True) -> Iterator[Stack]:
    stack = Stack(config)
    try:
        stack.start(fresh=fresh)
        yield stack
    finally:
        stack.stop()
