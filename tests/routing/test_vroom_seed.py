"""The VROOM seed runs in a child it can stop: it keeps its deadline and its last answer."""

from __future__ import annotations

import time
from typing import Any

import pytest

from routing import SolveParams, _subsolve, _vroom
from routing._construct import travel_cost
from routing._prepared import prepare
from routing.schedule import route_holds
from routing.solve import _costs

from .test_search_phases import lunch_day


def test_timed_seed_from_the_child_names_each_task_once() -> None:
    """A time-limited seed (VROOM in a forked child) serves every task of a lunch day once."""
    prep = prepare(lunch_day())
    tasks = list(range(len(prep.tasks)))
    orders = _vroom.seed(prep, tasks, SolveParams(time_limit=10), 3.0, 5.0)
    assert orders is not None and set(orders) == set(range(len(prep.vehicles)))
    assert sorted(i for order in orders.values() for i in order) == tasks


def test_a_seed_past_its_deadline_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A VROOM run that does not end is killed at the hard deadline; no seed then."""

    def stuck(*args: Any) -> None:
        time.sleep(30)

    monkeypatch.setattr(_vroom, "_solve", stuck)
    prep = prepare(lunch_day())
    t0 = time.perf_counter()
    assert _vroom.seed(prep, list(range(len(prep.tasks))), SolveParams(), 0.2, 0.1) is None
    assert time.perf_counter() - t0 < 5


def test_a_staged_seed_keeps_its_first_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the second stage misses the deadline, the first stage's routes are used."""
    prep = prepare(lunch_day())
    tasks = list(range(len(prep.tasks)))
    monkeypatch.setattr(_vroom, "stages", lambda stops: [(1, 8, 0.25), (8, 8, 1.0)])
    first = 1

    def staged(inp: Any, searches: int, depth: int, seconds: float) -> dict[int, list[int]]:
        if searches != first:
            time.sleep(30)
        return {1: tasks}

    monkeypatch.setattr(_vroom, "_solve", staged)
    t0 = time.perf_counter()
    orders = _vroom.seed(prep, tasks, SolveParams(), 1.5, 1.0)
    assert orders == {0: [], 1: tasks}
    assert time.perf_counter() - t0 < 5


def test_of_the_stages_answers_the_cheapest_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both stages answer in time: the seed is the answer with the lower key, not the last."""
    prep = prepare(lunch_day())
    tasks = list(range(len(prep.tasks)))
    monkeypatch.setattr(_vroom, "stages", lambda stops: [(1, 8, 0.25), (8, 8, 1.0)])
    first = 1

    def two(inp: Any, searches: int, depth: int, seconds: float) -> dict[int, list[int]]:
        return {0: tasks} if searches == first else {1: tasks}

    monkeypatch.setattr(_vroom, "_solve", two)
    costs = _costs(prep)

    def key(orders: dict[int, list[int]]) -> int:
        return travel_cost(prep, orders, *costs) + (10**9 if orders[1] else 0)

    assert _vroom.seed(prep, tasks, SolveParams(), 3.0, 1.0, key) == {0: tasks, 1: []}
    assert _vroom.seed(prep, tasks, SolveParams(), 3.0, 1.0) == {0: [], 1: tasks}


def test_groups_solved_again_cost_less_and_hold() -> None:
    """Routes made badly (shipments dealt alternately, one after another) come back from the
    group re-solve cheaper, with the same tasks, each route holding under every constraint."""
    prep = prepare(lunch_day(12))
    pairs = [(i, prep.tasks[i].partner) for i, t in enumerate(prep.tasks) if t.kind == "pickup"]
    orders: dict[int, list[int]] = {0: [], 1: []}
    for k, (p, d) in enumerate(pairs):
        orders[k % 2] += [p, d]
    costs = _costs(prep)
    better = _subsolve.improve(prep, orders, costs, time.perf_counter() + 5.0)
    assert sorted(i for o in better.values() for i in o) == sorted(
        i for o in orders.values() for i in o
    )
    assert all(route_holds(prep, v, o) is not None for v, o in better.items() if o)
    assert travel_cost(prep, better, *costs) < travel_cost(prep, orders, *costs)
