"""The transaction owners and the cycles issue 13 removed stay removed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DISPATCH = Path(__file__).resolve().parents[2] / "dispatch"


def _function_imports(path: Path) -> list[str]:
    """``dispatch`` modules imported inside functions of ``path``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith(
                    "dispatch"
                ):
                    out.append(f"{node.name}: {inner.module}")
    return out


@pytest.mark.parametrize(
    "module",
    [
        "security.py",
        "extensions.py",
        "services/auth.py",
        "services/bookings.py",
        "services/plans.py",
        "planning/service.py",
        "planning/booking.py",
        "planning/store.py",
        "jobs/runner.py",
    ],
)
def test_no_cycle_hidden_in_a_function(module):
    """extensions-jobs, security-services.auth and planning-services import at the top."""
    assert _function_imports(DISPATCH / module) == []


@pytest.mark.parametrize(
    "module", ["planning/service.py", "planning/booking.py", "planning/manual.py"]
)
def test_planning_neither_commits_nor_reads_the_app(module):
    """Pure work: the services own the transaction and the configuration."""
    text = (DISPATCH / module).read_text()
    assert ".commit()" not in text and "current_app" not in text


def test_the_job_runner_starts_jobs_but_commits_none():
    """A job's row is committed by its service; the runner only starts it after that commit
    (a job's own status is written by ``services.job_runs``)."""
    assert ".commit()" not in (DISPATCH / "jobs/runner.py").read_text()


def test_jobs_commit_nothing():
    """Jobs call services; a job's steps (started, progress, finished, failed) are committed by
    ``services.job_runs``, never in ``dispatch.jobs``."""
    hits = [
        p.relative_to(DISPATCH).as_posix()
        for p in (DISPATCH / "jobs").rglob("*.py")
        if ".commit()" in p.read_text()
    ]
    assert hits == []


def test_planning_commits_nothing():
    """models -> planning -> services: the services own every transaction (a city plan's
    per-township commits are ``services.plans.plan_city``'s)."""
    hits = [
        p.relative_to(DISPATCH).as_posix()
        for p in (DISPATCH / "planning").rglob("*.py")
        if ".commit()" in p.read_text()
    ]
    assert hits == []


def test_planning_and_models_do_not_import_services():
    """models -> planning -> services: the calendar, opening hours and the outbox row that
    planning needs live below it (dispatch.workdays, dispatch.hours, models.outbox)."""
    below = [*(DISPATCH / "planning").rglob("*.py"), *(DISPATCH / "models").rglob("*.py")]
    below += [DISPATCH / "workdays.py", DISPATCH / "hours.py"]
    hits = [
        p.relative_to(DISPATCH).as_posix()
        for p in below
        if "from dispatch.services" in p.read_text() or "import dispatch.services" in p.read_text()
    ]
    assert hits == []


def test_services_do_not_import_jobs():
    """Jobs call services, never the reverse."""
    hits = [
        p.relative_to(DISPATCH).as_posix()
        for p in (DISPATCH / "services").rglob("*.py")
        if "from dispatch.jobs" in p.read_text() or "import dispatch.jobs" in p.read_text()
    ]
    assert hits == []


def test_one_get_plan():
    """The scoped services.plans.get_plan is the only one."""
    hits = [p for p in DISPATCH.rglob("*.py") if "def get_plan(" in p.read_text()]
    assert [p.relative_to(DISPATCH).as_posix() for p in hits] == ["services/plans.py"]


def test_no_township_code_slicing():
    """Township codes come from models.regions.township_code, not ``code[:9] + "000"``."""
    hits = [p for p in DISPATCH.rglob("*.py") if '[:9] + "000"' in p.read_text()]
    assert hits == []
