"""The independent checker catches hand-made violations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from routing import (
    Break,
    Job,
    Problem,
    Shipment,
    ShipmentStep,
    Solution,
    TimeWindow,
    Vehicle,
    check,
    evaluate,
)

from .conftest import line_matrix

M = {"car": line_matrix([0, 100, 200, 300, 400, 500])}
SHIP = Shipment(ShipmentStep(10, 3), ShipmentStep(11, 1), amount=(1,))


def problem(**vehicle: object) -> Problem:
    """One depot vehicle, three jobs and a shipment."""
    fields: dict[str, object] = {"capacity": (2,), **vehicle}
    veh = Vehicle(1, start=0, end=0, **fields)  # type: ignore[arg-type]
    jobs = (Job(1, 1, delivery=(1,)), Job(2, 2, time_windows=(TimeWindow(0, 250),)), Job(3, 4))
    return Problem((veh,), jobs, (SHIP,), matrices=M)


def codes(p: Problem, routes: dict[int, list[object]]) -> set[str]:
    """Violation codes of evaluating ``routes``."""
    return {v.code for v in check(p, evaluate(p, routes))}  # type: ignore[arg-type]


def test_a_good_plan_has_no_violations() -> None:
    """A feasible hand-made plan passes."""
    assert codes(problem(), {1: [1, 2, 10, 3, 11]}) == set()


@pytest.mark.parametrize(
    ("vehicle", "routes", "code"),
    [
        ({}, {1: [3, 2, 1, 10, 11]}, "time_window"),
        ({}, {1: [1, 2, 3, 11, 10]}, "pairing"),
        ({"skills": frozenset()}, {1: [1, 2, 10, 3, 11]}, "no_violation_expected"),
        ({"max_tasks": 3}, {1: [1, 2, 10, 3, 11]}, "max_tasks"),
        ({"max_travel_time": 500}, {1: [1, 2, 10, 3, 11]}, "max_travel_time"),
        ({"max_distance": 500}, {1: [1, 2, 10, 3, 11]}, "max_distance"),
        ({"time_window": TimeWindow(0, 600)}, {1: [1, 2, 10, 3, 11]}, "vehicle_window"),
        ({"steps": (3,)}, {1: [1, 2, 10, 3, 11]}, "locked_prefix"),
        ({"capacity": (0,)}, {1: [1, 2, 10, 3, 11]}, "capacity"),
    ],
)
def test_each_broken_rule_is_reported(
    vehicle: dict[str, object], routes: dict[int, list[object]], code: str
) -> None:
    """Evaluating a bad order yields the matching violation code."""
    found = codes(problem(**vehicle), routes)
    assert found == set() if code == "no_violation_expected" else code in found


def test_skills_violation() -> None:
    """A job needing a skill the vehicle lacks is reported."""
    p = problem()
    p = replace(p, jobs=(replace(p.jobs[0], skills=frozenset({4})), *p.jobs[1:]))
    assert "skills" in codes(p, {1: [1, 2, 10, 3, 11]})


def _edit(sol: Solution, k: int, **changes: object) -> Solution:
    route = sol.routes[0]
    steps = list(route.steps)
    steps[k] = replace(steps[k], **changes)  # type: ignore[arg-type]
    return replace(sol, routes=(replace(route, steps=tuple(steps)),))


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (lambda s: _edit(s, 2, arrival=0), "arrival"),
        (lambda s: _edit(s, 2, load=(9,)), "report"),
        (lambda s: replace(s, routes=s.routes + s.routes), "vehicle_twice"),
        (lambda s: replace(s, unassigned=()), "no_violation_expected"),
        (lambda s: replace(s, routes=()), "coverage"),
        (lambda s: _edit(s, 1, arrival=500, waiting_time=0), "break_window"),
    ],
)
def test_tampered_reports_are_caught(tamper: Callable[[Solution], Solution], code: str) -> None:
    """Edited arrivals, loads or duplicated routes are flagged."""
    p = problem(breaks=(Break(5, (TimeWindow(0, 10),), 30),))
    sol = evaluate(p, {1: [1, 2, 10, 3, 11]})
    assert [s.type for s in sol.routes[0].steps][:2] == ["start", "break"]
    found = {v.code for v in check(p, tamper(sol))}
    assert found == set() if code == "no_violation_expected" else code in found
