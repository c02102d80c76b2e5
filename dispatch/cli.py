"""The ``daiban`` command: a Flask CLI group that builds the app, and its commands.

The commands are the group's, not the app's: the group builds the app (and ``demo-setup``
builds a second one on a temporary database), so the factory knows nothing of them.
"""

from __future__ import annotations

import shutil
import threading
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy.engine import make_url
from werkzeug.serving import run_simple

from dispatch import privacy_cli
from dispatch.app import create_app
from dispatch.crypto import KeyConfigError
from dispatch.datafiles import DataFileError
from dispatch.errors import DomainError
from dispatch.extensions import db, files_dir
from dispatch.jobs.schedule import start_embedded
from dispatch.models.plans import Plan
from dispatch.outbox_sender import build_channels, make_sender, store_scope
from dispatch.planning.report import render_report
from dispatch.planning.runner import townships_with_centres
from dispatch.planning.store import agent_names
from dispatch.server import ServerOptions, run_server
from dispatch.services import retention
from dispatch.services.auth import create_user
from dispatch.services.due_dates import case_ids, count_recounted, recount_due_dates
from dispatch.services.holiday_file import HolidayFileError
from dispatch.services.plans import plan_city
from dispatch.services.ratings import apply_default_ratings
from dispatch.services.rectification import flag_overdue
from dispatch.setup.demo import (
    DEMO_LOGINS,
    DEMO_TOWNSHIP,
    bind_demo_agent,
    demo_is_seeded,
    seed_demo,
)
from dispatch.setup.demo_history import seed_history
from dispatch.setup.divisions import import_divisions
from dispatch.workdays import CST, is_working_day, next_working_day
from notifications.worker import run_worker


def _create_app() -> Flask:
    try:
        return create_app()
    except (HolidayFileError, KeyConfigError) as err:
        # A start refused for its configuration: one line naming what to fix, no traceback.
        raise click.ClickException(str(err)) from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def cli() -> None:
    """Daiban (代办) dispatch service."""


@click.command("import-divisions")
@click.option(
    "--path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="divisions.csv; defaults to the package's data/jieyang/divisions.csv",
)
@with_appcontext
def import_divisions_cmd(path: Path | None) -> None:
    """Load Jieyang's divisions and place villages that have no point."""
    path = path or Path(current_app.config["DIVISIONS_DIR"]) / "divisions.csv"
    total = 1765
    with click.progressbar(length=total, label="导入区划 / importing divisions") as bar:
        last = [0]

        def progress(i: int) -> None:
            bar.update(i - last[0])
            last[0] = i

        try:
            report = import_divisions(db.session, path, on_progress=progress)
        except DataFileError as err:
            raise click.ClickException(str(err)) from None
        bar.update(total - last[0])
    click.echo(
        f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
        f"synthetic points {report.synthetic}"
    )


@click.command("create-user")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "supervisor", "dispatcher", "agent", "village_staff"]),
)
@click.option("--region", "region_code", default=None, help="12-digit region code")
@click.option("--agent-id", type=int, default=None, help="the agent this login belongs to")
@with_appcontext
def create_user_cmd(
    username: str, password: str, role: str, region_code: str | None, agent_id: int | None
) -> None:
    """Create a user from the shell."""
    try:
        user = create_user(db.session, username, password, role, region_code, agent_id)
    except DomainError as err:
        raise click.ClickException(f"{err.message} {err.errors or ''}".strip()) from None
    click.echo(f"created user {user.username} ({user.role}) id={user.id}")


@click.command("seed-demo")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--history-days",
    type=click.IntRange(0, 250),
    default=66,
    show_default=True,
    help="past working days of delivered cases and 好差评 to seed (0: none)",
)
@with_appcontext
def seed_demo_cmd(seed: int, history_days: int) -> None:
    """Seed the demo catalogue, population, cases and logins, and a history of delivered,
    rated cases for the supervisor's page (deterministic per seed)."""
    with click.progressbar(length=108, label="生成示例数据 / seeding townships") as bar:
        try:
            summary = seed_demo(db.session, seed=seed, on_township=lambda: bar.update(1))
        except DataFileError as err:
            raise click.ClickException(str(err)) from None
    for key, value in summary.items():
        click.echo(f"  {key}: {value}")
    if history_days:
        click.echo(f"生成 {history_days} 个工作日的办件历史 / seeding {history_days} working days")
        started = time.monotonic()
        for key, value in seed_history(db.session, seed=seed, working_days=history_days).items():
            click.echo(f"  history {key}: {value}")
        click.echo(f"  history took {time.monotonic() - started:.1f} s")


@click.command("demo-setup")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None)
@with_appcontext
def demo_setup_cmd(seed: int, day: datetime | None) -> None:
    """Migrate, import and seed if the database is empty, then plan the demo day.

    A new SQLite database is built in a temporary file beside it and moved into place only
    when everything has worked, so a failed first set-up leaves nothing behind.
    """
    plan_day = day.date() if day else None
    target = _sqlite_file(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if target is not None and not target.exists():
        _build_sqlite(target, seed, plan_day)
    else:
        _set_up_demo(seed, plan_day)


def _sqlite_file(uri: str) -> Path | None:
    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _set_up_demo(seed: int, day: date | None) -> None:
    upgrade()
    ctx = click.get_current_context()
    if not demo_is_seeded(db.session):
        ctx.invoke(import_divisions_cmd, path=None)
        ctx.invoke(seed_demo_cmd, seed=seed)
    else:
        click.echo("demo data already present; keeping it")
    planned = date.fromisoformat(_plan_all(day)["day"])
    agent = bind_demo_agent(db.session, planned)
    if agent is not None:
        click.echo(f"  demo login 'agent': {agent.name} (agent {agent.id}), stops on {planned}")
    if planned != datetime.now(CST).date():
        click.echo(f"  the agent's route is on {planned}: /app shows it, labelled with its date")


def _build_sqlite(target: Path, seed: int, day: date | None) -> None:
    """Set up a fresh demo in ``target.building``, then rename it to ``target``."""
    building = target.with_name(target.name + ".building")
    building.unlink(missing_ok=True)
    # The images go where the finished database will look for them, not beside the build.
    images_dir = files_dir(current_app.config)
    had_images = images_dir.exists()
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{building}", "FILES_DIR": str(images_dir)}
    )
    try:
        with app.app_context():
            try:
                _set_up_demo(seed, day)
            finally:
                db.session.remove()
                for engine in db.engines.values():
                    engine.dispose()
    except BaseException:
        building.unlink(missing_ok=True)
        if not had_images:
            shutil.rmtree(images_dir, ignore_errors=True)
        click.echo(f"set-up failed; nothing was kept (no {target})", err=True)
        raise
    building.replace(target)


def _plan_all(
    day: date | None, codes: list[str] | None = None, objective: str = "distance"
) -> dict[str, Any]:
    if day is None:
        day = datetime.now(CST).date()
    if not is_working_day(day):
        later = next_working_day(day)
        click.echo(f"{day} 不是工作日 / is not a working day; planning {later} instead")
        day = later
    codes = codes if codes is not None else townships_with_centres(db.session)
    with click.progressbar(length=len(codes), label=f"规划 / planning {day}") as bar:
        summary = plan_city(
            db.session, day, codes=codes, objective=objective, on_progress=lambda n: bar.update(n)
        )
    click.echo(summary.text())
    return summary.as_dict()


@click.command("plan")
@click.option(
    "--date",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="the day to plan (CST); defaults to today, or the next working day",
)
@click.option("--township", default=None, help="12-digit township code")
@click.option("--all", "all_", is_flag=True, help="every township with a centre")
@click.option("--objective", type=click.Choice(["distance", "balance"]), default="distance")
@with_appcontext
def plan_cmd(day: datetime | None, township: str | None, all_: bool, objective: str) -> None:
    """Plan and publish a township's day, or the whole city's, with a progress bar."""
    if bool(township) == all_:
        raise click.UsageError("give --township CODE or --all")
    _plan_all(day.date() if day else None, [township] if township else None, objective)


@click.command("demo")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("instance/demo/report.html"),
    show_default=True,
)
@click.option("--township", default=None, help="township drawn in the report")
@click.option(
    "--report-lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="language of the report's stop labels and legend (its headings say both)",
)
@with_appcontext
def demo_cmd(
    seed: int, day: datetime | None, report: Path, township: str | None, report_lang: str
) -> None:
    """Fresh demo: migrate, import, seed, plan every township, summarise, write a report."""
    upgrade()
    ctx = click.get_current_context()
    ctx.invoke(import_divisions_cmd, path=None)
    ctx.invoke(seed_demo_cmd, seed=seed)
    summary = _plan_all(day.date() if day else None)
    bind_demo_agent(db.session, date.fromisoformat(summary["day"]))
    code = township or DEMO_TOWNSHIP
    plans = [p for p in db.session.scalars(select(Plan).where(Plan.id.in_(summary["plan_ids"])))]
    plan = next((p for p in plans if p.township.code == code), plans[0] if plans else None)
    if plan is None:
        raise click.ClickException("no township could be planned; see the reasons above")
    names = agent_names(db.session, [r.agent_id for r in plan.routes])
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(
        render_report(plan, summary, Path(current_app.config["DIVISIONS_DIR"]), names, report_lang),
        encoding="utf-8",
    )
    click.echo(f"report: {report.resolve()}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, type=int, show_default=True)
@click.option(
    "--workers",
    default=2,
    type=click.IntRange(1, 64),
    envvar="DAIBAN_WORKERS",
    show_default=True,
    help="gunicorn worker processes (env DAIBAN_WORKERS); more than one needs Redis limits",
)
@click.option(
    "--threads",
    default=4,
    type=click.IntRange(1, 256),
    envvar="DAIBAN_THREADS",
    show_default=True,
    help="threads per worker (env DAIBAN_THREADS)",
)
@click.option(
    "--timeout",
    default=120,
    type=click.IntRange(1, 3600),
    envvar="DAIBAN_WORKER_TIMEOUT",
    show_default=True,
    help="seconds a request may take before its worker is restarted",
)
@click.option("--dev", is_flag=True, help="werkzeug's development server, reloading on edits")
@with_appcontext
def serve_cmd(host: str, port: int, workers: int, threads: int, timeout: int, dev: bool) -> None:
    """Serve the app (gunicorn; --dev for werkzeug) and print where to find it."""
    base = f"http://{host}:{port}"
    click.echo(f"\nDaiban 代办调度 on {base}")
    click.echo(f"  API docs:        {base}/api/docs")
    click.echo(f"  OpenAPI:         {base}/api/openapi.json")
    click.echo(f"  Console:         {base}/console")
    click.echo(f"  Agent app:       {base}/app")
    click.echo(f"  Booking page:    {base}/book")
    click.echo(f"  Health:          {base}/healthz, {base}/readyz")
    click.echo("  Demo logins (username / password / role / region):")
    for login in DEMO_LOGINS:
        click.echo(f"    {login.username} / {login.password} / {login.role} / {login.region}")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    storage = str(app.config.get("RATELIMIT_STORAGE_URI", "memory://"))
    if not dev and workers > 1 and storage.startswith("memory://"):
        click.echo(
            f"  注意：{workers} 个进程各自计数，限流放宽 {workers} 倍 / Note: {workers} workers "
            "count rate limits each on their own; set RATELIMIT_STORAGE_URI=redis://... "
            "or --workers 1",
            err=True,
        )
    if dev:
        start_embedded(app)  # gunicorn's workers start it in their post_fork
        # Flask refuses app.run() inside a CLI command; werkzeug's server is what it would use.
        run_simple(host, port, app, threaded=True, use_reloader=True, use_debugger=False)
        return

    run_server(app, ServerOptions(host, port, workers, threads, timeout))


@click.command("notify-worker")
@click.option("--poll", default=1.0, show_default=True, help="seconds between empty polls")
@click.option("--once", is_flag=True, help="drain what is due now, then exit")
@with_appcontext
def notify_worker_cmd(poll: float, once: bool) -> None:
    """Send outbox messages (push, SMS) until stopped; SIGTERM finishes the batch first."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    channels, sender = build_channels(app), make_sender(app)
    if once:
        with store_scope() as store:
            report = sender.drain(store, channels)
    else:
        report = run_worker(store_scope, channels, threading.Event(), poll, sender=sender)
    click.echo(f"sent {report.sent}, retried {report.retried}, dead {report.dead}")


@click.command("recount-due-dates")
@click.option("--dry-run", is_flag=True, help="list what would change; write nothing")
@click.option(
    "--reference",
    "references",
    multiple=True,
    help="only this case (受理编号); repeat for more. Default: every case in progress",
)
@with_appcontext
def recount_due_dates_cmd(dry_run: bool, references: tuple[str, ...]) -> None:
    """Recount promised dates on the installed holiday calendar; villagers get an SMS."""
    try:
        only = case_ids(db.session, references) if references else None
    except DomainError as err:
        raise click.ClickException(err.message) from None
    total = count_recounted(db.session, only)
    with click.progressbar(length=total, label="重算承诺办结日 / recounting due dates") as bar:
        changes = recount_due_dates(db.session, dry_run=dry_run, on_progress=bar.update, only=only)
    for change in changes:
        click.echo(f"  {change.reference}: {change.old} → {change.new}")
    if dry_run:
        click.echo(
            f"将改 {len(changes)} 件（共 {total} 件在办），未写入 / "
            f"would change {len(changes)} of {total} open cases; nothing written"
        )
    else:
        click.echo(
            f"已改 {len(changes)} 件（共 {total} 件在办），已通知村民 / "
            f"changed {len(changes)} of {total} open cases; villagers notified by SMS"
        )


@click.command("default-ratings")
@with_appcontext
def default_ratings_cmd() -> None:
    """好差评: deliveries unrated for 7 days get 基本满意 (daily; running it twice adds none)."""
    n = apply_default_ratings(db.session)
    click.echo(f"默认好评 {n} 件 / {n} deliveries rated 基本满意 by default")


@click.command("flag-overdue")
@with_appcontext
def flag_overdue_cmd() -> None:
    """好差评: flag rectifications past their working-day deadline (daily; idempotent)."""
    n = flag_overdue(db.session)
    click.echo(f"新标记超期整改 {n} 件 / {n} rectifications newly flagged overdue")


@click.command("purge-expired")
@with_appcontext
def purge_expired_cmd() -> None:
    """Retention: remove what closed cases no longer need (daily; idempotent)."""
    periods = retention.Periods.from_config(current_app.config)
    done = retention.purge_expired(db.session, periods)
    click.echo(
        f"已清除 {done.cases} 件办结案件的 {done.receipts} 张交接单签名照片、"
        f"{done.entrustments} 份委托书签名手印，{done.outbox} 条短信号码，删除图片文件 "
        f"{done.files} 个 / {done.receipts} "
        f"receipts and {done.entrustments} entrustments of {done.cases} closed cases "
        f"and {done.outbox} SMS purged; {done.files} image files deleted; "
        f"{done.home_stops} past home stops blurred"
    )


for _command in (
    import_divisions_cmd,
    create_user_cmd,
    seed_demo_cmd,
    demo_setup_cmd,
    serve_cmd,
    plan_cmd,
    notify_worker_cmd,
    demo_cmd,
    recount_due_dates_cmd,
    default_ratings_cmd,
    flag_overdue_cmd,
    purge_expired_cmd,
    *privacy_cli.COMMANDS,
):
    cli.add_command(_command)
