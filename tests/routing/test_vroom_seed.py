"""The VROOM seed runs in a child it can stop: it keeps its deadline and its last answer."""

from __future__ import annotations

import time
from typing import Any

import pytest

from routing import SolveParams, _vroom
from routing._prepared import prepare

from .test_search_phases import lunch_day


def test_timed_seed_from_the_child_names_each_task_once() -> None:
    """A time-limited seed (VROOM in a forked child) serves every task of a lunch day once."""
    prep = prepare(lunch_day())
    tasks = list(range(len(prep.tasks)))
    orders = _vroom.seed(prep, tasks, SolveParams(time_limit=2), 1.0, 0.5)
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
    assert time.perf_counter() - t0 < 2


def test_a_staged_seed_keeps_its_first_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the full search misses the deadline, the one-search stage's routes are used."""
    prep = prepare(lunch_day())
    tasks = list(range(len(prep.tasks)))

    def staged(inp: Any, searches: int, depth: int, seconds: float) -> dict[int, list[int]]:
        if searches > 1:
            time.sleep(30)
        return {1: tasks}

    monkeypatch.setattr(_vroom, "_solve", staged)
    monkeypatch.setattr(_vroom, "STAGED_STOPS", 2)
    t0 = time.perf_counter()
    orders = _vroom.seed(prep, tasks, SolveParams(), 0.3, 0.2)
    assert orders == {0: [], 1: tasks}
    assert time.perf_counter() - t0 < 2
