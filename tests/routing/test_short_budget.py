"""A real township day is solved fully within the dispatch service's half-second budget."""

from __future__ import annotations

import json
from pathlib import Path

from routing import SolveParams, check, problem_from_vroom, solve

DATA = Path(__file__).parents[1] / "data" / "routing"


def test_township_day_is_fully_served_in_half_a_second() -> None:
    """24 shipments with office hours and lunch windows: nothing unassigned, checker clean."""
    problem = problem_from_vroom(json.loads((DATA / "township_day_sparse.json").read_text()))
    solution = solve(problem, SolveParams(time_limit=0.5))
    assert [u.id for u in solution.unassigned] == []
    assert check(problem, solution) == []
