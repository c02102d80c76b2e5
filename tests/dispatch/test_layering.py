"""The transaction owners and the cycles issue 13 removed stay removed."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DISPATCH = ROOT / "dispatch"
PACKAGES = ("dispatch", "routing", "notifications")


def _modules() -> dict[str, Path]:
    """Every module of the three packages by dotted name (a package by its ``__init__``)."""
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _function_imports(source: str) -> list[str]:
    """Imports inside the functions of ``source``, as ``line function: module``."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    names = [a.name for a in inner.names]
                    what = inner.module if isinstance(inner, ast.ImportFrom) else names[0]
                    out.append(f"{inner.lineno} {node.name}: {what}")
    return out


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of the three packages that ``name`` imports at its top level."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            # ``from dispatch import crypto`` imports the module dispatch.crypto
            subs = {f"{base}.{a.name}" for a in node.names} & modules.keys()
            out |= subs or {base}
    return out & modules.keys()


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imported(name, path, modules) - {name} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while (w := stack.pop()) != v:
                group.append(w)
            if group:
                found.append(sorted([v, *group]))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_inside_a_function(package):
    """House rule: a cycle is fixed by moving code, never hidden by an import in a function;
    no exceptions (an optional dependency, a heavy one, a worker's bootstrap import at the
    top like the rest)."""
    hits = {
        path.relative_to(ROOT).as_posix(): found
        for path in (ROOT / package).rglob("*.py")
        if (found := _function_imports(path.read_text()))
    }
    assert hits == {}


def test_the_function_import_check_sees_one():
    """The check above would catch an import inside a method or a nested function."""
    source = "class A:\n    def f(self):\n        def g():\n            from a.b import c\n"
    assert _function_imports(source) == ["4 f: a.b", "4 g: a.b"]


def test_no_import_cycle():
    """The modules of dispatch, routing and notifications import each other without a loop."""
    graph = _import_graph()
    assert "dispatch.services.plans" in graph["dispatch.jobs.celery_tasks"]
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_loop():
    """A loop of three modules beside a module outside it is found, and only the loop."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert _cycles(graph) == [["a", "b", "c"]]


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


def test_planning_and_models_do_not_import_the_extensions():
    """The session type lives with the models (``dispatch.models.session``): naming it pulls
    in no web layer, so planning and the models import nothing of ``dispatch.extensions``."""
    graph = _import_graph()
    hits = sorted(
        name
        for name, imported in graph.items()
        if name.startswith(("dispatch.planning", "dispatch.models"))
        and "dispatch.extensions" in imported
    )
    assert hits == []


def test_planning_loads_no_web_layer():
    """Importing the planning package loads neither flask-smorest nor the app factory (the
    package ``dispatch/__init__.py`` imports nothing)."""
    code = (
        "import sys, dispatch.planning.service, dispatch.planning.booking\n"
        "print(sorted(m for m in ('flask_smorest', 'flask_limiter', 'dispatch.extensions',"
        " 'dispatch.app') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]", out.stderr
