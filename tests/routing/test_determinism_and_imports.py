"""Same input, seed and solution limit give the same routes; no web stack is imported."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from routing import Job, Problem, SolveParams, Vehicle, check, solve


def random_problem(n: int = 25) -> Problem:
    """Jobs scattered around Jieyang for three motorbikes."""
    rng = np.random.default_rng(5)
    depot = (116.37, 23.55)
    jobs = tuple(
        Job(i, (float(116.2 + 0.3 * rng.random()), float(23.4 + 0.3 * rng.random())), service=300)
        for i in range(1, n + 1)
    )
    fleet = tuple(Vehicle(v, "motorbike", depot, depot, max_tasks=10) for v in (1, 2, 3))
    return Problem(fleet, jobs)


def test_same_seed_and_solution_limit_same_routes() -> None:
    """Two runs with seed 7 and solution_limit 50 produce identical routes."""
    params = SolveParams(time_limit=30, seed=7, solution_limit=50)
    a, b = solve(random_problem(), params), solve(random_problem(), params)
    assert a.routes == b.routes and check(random_problem(), a) == []


def test_routing_imports_neither_flask_nor_sqlalchemy() -> None:
    """Importing and running routing pulls in no flask or sqlalchemy."""
    code = (
        "import sys, routing\n"
        "from routing import cli, solve, check\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""
