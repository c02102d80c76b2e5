"""Planning speed: one township's day, the whole city in-process, and the city on Celery.

Builds a fresh SQLite database in a temporary folder (migrations, divisions, the demo seed),
then measures, each on a fresh working day so every plan is a first version:

(a) the township with the most open cases, alone, through ``plan_city`` (target <= 5 s);
(b) every township with a centre, in-process: the planning job ``POST /api/plans/`` starts
    without a broker, on a thread of this process, solving in its pool of 2 solver processes
    (target <= 60 s for Jieyang's 108 on a 2-core machine);
(c) the same job through 2 Celery workers on Redis, started as subprocesses against the same
    database (target: no slower than (b)). Each worker has one solver process, as (b) has two
    in all, and two task threads that do the database work around the solves;
    ``--celery-pool prefork`` also measures one child per worker that prepares, solves and
    stores in turn.

(b) and (c) are timed alike, from the request until a poll sees the job done, each after a
4-township warm-up job. They run ``--repeat`` times (default 3), alternately, and the median
is reported; each pool's ratio compares it with the (b) runs made between its own runs. The
"cores busy" column is the machine's busy CPU time over the run's time (2.00 is saturated).

Usage::

    .venv/bin/python benchmarks/planning.py            # all townships, writes the README
    .venv/bin/python benchmarks/planning.py --quick    # 12 townships, a smoke run
    .venv/bin/python benchmarks/planning.py --profile  # also cProfile (b): DB vs solve

The figures go under "## Planning" in ``benchmarks/README.md``; other sections are kept.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import inspect
import io
import os
import pstats
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import redis
from flask import Flask
from sqlalchemy import func, select
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dispatch.app import create_app  # noqa: E402
from dispatch.extensions import db  # noqa: E402
from dispatch.models.cases import Case, Status  # noqa: E402
from dispatch.models.plans import Job  # noqa: E402
from dispatch.models.regions import Region  # noqa: E402
from dispatch.planning.runner import townships_with_centres  # noqa: E402
from dispatch.services.plans import plan_city  # noqa: E402
from dispatch.workdays import CST, next_working_day  # noqa: E402

README = Path(__file__).resolve().parent / "README.md"
DIVISIONS = ROOT / "dispatch" / "data" / "jieyang"
CLOSED = (Status.DELIVERED, Status.CLOSED, Status.CANCELLED)
TARGET_ONE_S, TARGET_CITY_S = 5.0, 60.0


@dataclass
class Run:
    label: str
    townships: int
    planned: int
    tasks: int
    assigned: int
    seconds: float
    target: str
    each: tuple[float, ...] = ()
    cpu: float | None = None  # CPU-seconds the whole machine was busy during the run


def busy_cpu_seconds() -> float | None:
    """CPU-seconds every core has spent busy since boot (Linux ``/proc/stat``), else None.

    Read before and after a run, it shows how much work the run cost the machine (solvers,
    workers, Redis and PostgreSQL alike) and, against 2 x its seconds, whether the cores
    were saturated or left idle.
    """
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    ticks = [int(f) for f in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_used(before: float | None) -> float | None:
    after = busy_cpu_seconds()
    return None if before is None or after is None else after - before


def median_run(repeats: list[Run]) -> Run:
    """The run with the median time, carrying every repeat's time."""
    ordered = sorted(repeats, key=lambda r: r.seconds)
    mid = ordered[(len(ordered) - 1) // 2]
    return replace(mid, each=tuple(r.seconds for r in repeats))


def build_database(folder: Path, seed: int, url: str | None = None) -> tuple[Flask, str, float]:
    """Migrate, import the divisions and seed every township; returns the app and its URL.

    Without ``url``, a SQLite file in ``folder``; a PostgreSQL ``url`` is emptied first
    (its ``public`` schema is dropped).
    """
    from flask_migrate import upgrade
    from sqlalchemy import text

    from dispatch.setup.demo import seed_demo
    from dispatch.setup.divisions import import_divisions

    url = url or f"sqlite:///{folder / 'bench.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DIVISIONS_DIR": str(DIVISIONS)})
    started = time.perf_counter()
    if url.startswith("postgresql"):
        with app.app_context():
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
            db.session.remove()
    with app.app_context(), contextlib.redirect_stderr(io.StringIO()):
        upgrade()
    with app.app_context():
        import_divisions(db.session, DIVISIONS / "divisions.csv")
        with tqdm(total=108, desc="seeding townships", unit="tw") as bar:
            seed_demo(db.session, seed=seed, on_township=lambda: bar.update(1))
        db.session.remove()
    return app, url, time.perf_counter() - started


def working_days(n: int) -> list[date]:
    """The next ``n`` working days after today (CST), one per measurement."""
    days, day = [], datetime.now(CST).date()
    for _ in range(n):
        day = next_working_day(day + timedelta(days=1) if days else day)
        days.append(day)
    return days


def largest_township(app: Flask) -> tuple[str, int]:
    """The township (with a centre) with the most open cases, and that count."""
    with app.app_context():
        codes = set(townships_with_centres(db.session))
        township = func.substr(Region.code, 1, 9) + "000"
        rows = db.session.execute(
            select(township, func.count(Case.id))
            .join(Region, Case.village_id == Region.id)
            .where(Case.status.not_in(CLOSED))
            .group_by(township)
            .order_by(func.count(Case.id).desc())
        ).all()
        db.session.remove()
    return next((code, n) for code, n in rows if code in codes)


def in_process(
    app: Flask,
    label: str,
    codes: list[str],
    day: date,
    target: str,
    profile: cProfile.Profile | None = None,
) -> Run:
    """``plan_city`` as ``daiban plan`` runs it, with a progress bar."""
    with app.app_context(), tqdm(total=len(codes), desc=label, unit="tw") as bar:
        if profile:
            profile.enable()
        cpu = busy_cpu_seconds()
        summary = plan_city(db.session, day, codes=codes, on_progress=bar.update)
        cpu = cpu_used(cpu)
        if profile:
            profile.disable()
        db.session.remove()
    return Run(
        label,
        len(codes),
        len(summary.planned),
        summary.tasks,
        summary.assigned,
        summary.seconds,
        target,
        cpu=cpu,
    )


@contextlib.contextmanager
def celery_workers(
    n: int, db_url: str, broker: str, folder: Path, pool: str, keep_logs: Path | None = None
) -> Iterator[None]:
    """``n`` Celery workers on ``broker`` with one solver each; stopped on the way out.

    ``threads``: two task threads share one solver process (the production setting);
    ``prefork``: one child process that prepares, solves and stores in turn.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAIBAN_", "CELERY_"))}
    env |= {
        "DATABASE_URL": db_url,
        "CELERY_BROKER_URL": broker,
        "DAIBAN_DIVISIONS_DIR": str(DIVISIONS),
        "DAIBAN_CELERY_POOL": pool,
        "DAIBAN_SOLVER_PROCESSES": "1",
    }
    celery = Path(sys.executable).parent / "celery"
    logs = [folder / f"worker-{i}.log" for i in range(n)]
    procs = []
    for i, log in enumerate(logs):
        with log.open("wb") as out:
            procs.append(
                subprocess.Popen(
                    [
                        str(celery),
                        "-A",
                        "dispatch.celery_worker",
                        "worker",
                        "-n",
                        f"bench{i}@%h",
                        "-Q",
                        "celery",
                        "--without-heartbeat",
                        "--without-gossip",
                        "--without-mingle",
                        "-l",
                        "info",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    try:
        deadline = time.monotonic() + 60
        while not all("ready." in log.read_text() for log in logs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError(
                    "Celery workers did not start:\n"
                    + "\n".join(log.read_text()[-2000:] for log in logs)
                )
            time.sleep(0.1)
        yield
    finally:
        if keep_logs:
            keep_logs.mkdir(parents=True, exist_ok=True)
            for log in logs:
                (keep_logs / f"{pool}-{time.time():.0f}-{log.name}").write_bytes(log.read_bytes())
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


JobTimer = Callable[[list[str], date], Run]


def job_timer(api: Flask, label: str, target: str) -> JobTimer:
    """A timer of the planning job ``api`` starts (as ``POST /api/plans/`` does), from the
    request until a poll every 0.1 s sees it done: one clock and one path for (b) and (c).

    Without a broker the job runs on a thread of this process (``plan_city`` with the
    process's solver pool, progress committed per township); with one, on the workers.
    """
    from dispatch.jobs import start_plan_job
    from dispatch.models.users import Role, Scope

    time_limit = inspect.signature(plan_city).parameters["time_limit"].default
    admin = Scope(user_id=0, username="bench", role=Role.ADMIN, prefix="")

    def job(codes: list[str], day: date) -> Run:
        with api.app_context(), tqdm(total=len(codes), desc=label, unit="tw") as bar:
            started, cpu = time.perf_counter(), busy_cpu_seconds()
            job_id = start_plan_job(db.session, admin, codes, day, time_limit=time_limit).id
            done = 0
            while True:
                row = db.session.get(Job, job_id)
                assert row is not None
                bar.update(row.done - done)
                done = row.done
                if row.status in ("done", "failed"):
                    break
                db.session.expire_all()
                time.sleep(0.1)
            seconds, cpu = time.perf_counter() - started, cpu_used(cpu)
            result = dict(row.result or {})
            db.session.remove()
        return Run(
            label,
            result.get("townships", 0),
            result.get("planned", 0),
            result.get("tasks", 0),
            result.get("assigned", 0),
            seconds,
            target,
            cpu=cpu,
        )

    return job


@contextlib.contextmanager
def on_celery(
    app: Flask,
    db_url: str,
    broker: str,
    folder: Path,
    pool: str,
    keep_logs: Path | None = None,
) -> Iterator[JobTimer]:
    """2 Celery workers on ``broker``; yields the timer of a job the API fans out to them."""
    redis.Redis.from_url(broker).flushdb()
    api = create_app(
        dict(app.config) | {"CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker}
    )
    with celery_workers(2, db_url, broker, folder, pool, keep_logs):
        yield job_timer(api, f"(c) city, 2 Celery workers ({pool})", "no slower than (b)")


def table(runs: list[Run]) -> str:
    lines = [
        "| run | townships | planned | tasks | assigned | seconds (median) | each run "
        "| CPU busy (s) | cores busy | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    lines += [
        f"| {r.label} | {r.townships} | {r.planned} | {r.tasks} | {r.assigned} | "
        f"{r.seconds:.1f} | {', '.join(f'{t:.1f}' for t in r.each) or '-'} | "
        + (f"{r.cpu:.1f} | {r.cpu / r.seconds:.2f}" if r.cpu is not None else "- | -")
        + f" | {r.target} |"
        for r in runs
    ]
    return "\n".join(lines)


def profile_split(profile: cProfile.Profile, top: int = 12) -> str:
    """Where (b)'s main process spent its time: waiting for solvers, or in the database."""
    stats = pstats.Stats(profile)
    total = stats.total_tt  # type: ignore[attr-defined]
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(top)
    buckets: dict[str, float] = {
        "prepare (DB reads, task build)": 0.0,
        "finish + publish (DB writes)": 0.0,
        "waiting for the solver pool": 0.0,
    }
    for (file, _, name), (_, _, _, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        if file.endswith("planning/service.py") and name == "prepare":
            buckets["prepare (DB reads, task build)"] += cum
        elif file.endswith("planning/service.py") and name in ("finish", "publish"):
            buckets["finish + publish (DB writes)"] += cum
        elif file.endswith("concurrent/futures/_base.py") and name == "result":
            buckets["waiting for the solver pool"] += cum
    lines = [f"main process: {total:.1f} s of CPU-profiled time"]
    lines += [f"  {k}: {v:.1f} s" for k, v in buckets.items()]
    return "\n".join(lines) + "\n\n" + out.getvalue()


def write_readme(body: str) -> None:
    """Replace the "## Planning" section of the README, keeping everyone else's."""
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    start = text.find("\n## Planning\n")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + (text[end:] if end >= 0 else "\n")
    README.write_text(text.rstrip("\n") + "\n\n## Planning\n\n" + body.strip() + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="12 townships, no README")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--broker",
        default="redis://127.0.0.1:6379/6",
        help="Redis for (c); its database is flushed",
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL URL to measure on (emptied first); default a fresh SQLite file",
    )
    parser.add_argument("--no-celery", action="store_true", help="skip (c)")
    parser.add_argument(
        "--celery-pool",
        choices=["threads", "prefork"],
        action="append",
        help="the workers' pool for (c); give it twice to run both (default threads)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile (b); no README")
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--worker-logs", type=Path, help="keep the Celery workers' logs here")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of (b) and (c) each; the median is reported"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="daiban-bench-") as tmp:
        folder = Path(tmp)
        app, url, setup_s = build_database(folder, args.seed, args.database_url)
        with app.app_context():
            codes = townships_with_centres(db.session)
            db.session.remove()
        if args.quick:
            codes = codes[:: max(1, len(codes) // 12)][:12]
        biggest, open_cases = largest_township(app)
        pools = [] if args.no_celery else args.celery_pool or ["threads"]
        every_day = working_days(3 + args.repeat * (1 + len(pools)) * max(1, len(pools)))
        warm_b, warm_c, days = every_day[-1], every_day[-2], iter(every_day[:-2])
        profile = cProfile.Profile() if args.profile else None
        runs = [
            in_process(
                app,
                f"(a) {biggest} alone ({open_cases} open cases)",
                [biggest],
                next(days),
                f"<= {TARGET_ONE_S:.0f} s",
            )
        ]
        city: dict[str, list[Run]] = {}
        beside: dict[str, list[Run]] = {}  # each pool's (b) runs, made between its (c) runs

        target_b = f"<= {TARGET_CITY_S:.0f} s" if not args.quick else "-"
        # (b) as the web server runs it: a job on a thread, timed like (c). Both are warmed
        # by a 4-township job first (solver processes started, first solves paid).
        b_job = job_timer(create_app(dict(app.config)), "(b) city, in-process", target_b)
        b_job(codes[:4], warm_b)

        def city_in_process() -> Run:
            if profile is None:
                return b_job(codes, next(days))
            # cProfile sees only this thread: call plan_city here rather than through a job.
            return in_process(
                app, "(b) city, in-process (profiled)", codes, next(days), target_b, profile
            )

        for pool in pools:
            with on_celery(app, url, args.broker, folder, pool, args.worker_logs) as job:
                job(codes[:4], warm_c)  # warm-up of both workers (2 tasks each), not timed
                for _ in range(args.repeat):  # alternate, so a busy spell hits both
                    beside.setdefault(pool, []).append(city_in_process())
                    city.setdefault(pool, []).append(job(codes, next(days)))
        every_b = [run for runs_b in beside.values() for run in runs_b]
        if not pools:
            every_b = [city_in_process() for _ in range(args.repeat)]
        runs.append(median_run(every_b))
        runs += [median_run(repeats) for repeats in city.values()]
    report = table(runs)
    b = runs[1].seconds
    ratios = [
        f"(b) / target: {b / TARGET_CITY_S:.2f}",
        f"(a) / target: {runs[0].seconds / TARGET_ONE_S:.2f}",
    ]
    for pool, run in zip(pools, runs[2:], strict=True):
        paired = median_run(beside[pool]).seconds
        ratios.append(
            f"{run.label} / (b) run between them ({paired:.1f} s): "
            f"{run.seconds / paired:.2f} (<= 1 is no slower)"
        )
        # Each (c) run against the (b) run made just before it: a busy spell hits both.
        diffs = [c.seconds - b.seconds for b, c in zip(beside[pool], city[pool], strict=True)]
        mean = statistics.fmean(diffs)
        spread = statistics.stdev(diffs) / len(diffs) ** 0.5 if len(diffs) > 1 else 0.0
        ratios.append(
            f"{run.label} - (b), run by run: {', '.join(f'{d:+.1f}' for d in diffs)} s; "
            f"mean {mean:+.2f} s (standard error {spread:.2f} s)"
        )
    env = (
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"{'PostgreSQL' if args.database_url else 'SQLite'}, seed {args.seed}, "
        f"solver time limit {inspect.signature(plan_city).parameters['time_limit'].default}"
        f" s per township, setup {setup_s:.0f} s, "
        f"measured {datetime.now(CST):%Y-%m-%d %H:%M} CST"
    )
    print("\n" + report + "\n\n" + "\n".join(ratios) + "\n\n" + env)
    if profile is not None:
        print("\n" + profile_split(profile))
    # Profiling slows (b) down; its figures are not the ones to publish.
    if not (args.quick or args.profile or args.no_readme):
        write_readme(
            "Measured by `benchmarks/planning.py` ("
            + env
            + ").\n\n"
            + report
            + "\n\n"
            + "\n".join(f"- {r}" for r in ratios)
        )
        print(f"\nwrote {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
