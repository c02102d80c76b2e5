"""The phases behind solve(): PyVRP's starting routes, the day measure, and balancing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from routing import (
    Break,
    Job,
    Matrix,
    Problem,
    Shipment,
    ShipmentStep,
    SolveParams,
    TimeWindow,
    Vehicle,
    _pyvrp,
    _vroom,
    check,
    solve,
)
from routing._construct import Builder, fill
from routing._prepared import prepare
from routing.schedule import day_length, solution_from_orders

from .conftest import line_matrix

H = 3600


def scattered(n: int, seed: int = 1) -> Matrix:
    """``n`` random points in a 20 km square; 10 m/s; location 0 is the depot."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 20_000, (n, 2))
    metres = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    return Matrix(durations=np.rint(metres / 10), distances=np.rint(metres))


def test_pyvrp_seed_serves_each_task_once_and_only_where_skills_allow() -> None:
    """The relaxation's routes name every task at most once and keep skilled jobs on the
    vehicle that has the skill (the other profile cannot reach them)."""
    m = scattered(13)
    jobs = tuple(
        Job(i, i, service=60, skills=frozenset({1}) if i % 3 == 0 else frozenset())
        for i in range(1, 13)
    )
    fleet = (
        Vehicle(1, start=0, end=0, skills=frozenset({1})),
        Vehicle(2, start=0, end=0),
        Vehicle(3, start=0, end=0),
    )
    prep = prepare(Problem(fleet, jobs, matrices={"car": m}))
    tasks = list(range(len(prep.tasks)))
    orders = _pyvrp.seed(prep, tasks, [(1, 0)] * 3, [0] * 3, SolveParams(seed=1), 0.5)
    assert orders is not None
    seen = [i for order in orders.values() for i in order]
    assert sorted(seen) == tasks
    skilled = {i for i in tasks if prep.tasks[i].skills}
    assert skilled and skilled <= set(orders[0])


def test_a_job_with_two_windows_is_seeded_once() -> None:
    """A job becomes one client per window in a required group: exactly one visit."""
    m = scattered(6, seed=3)
    two = (TimeWindow(0, 900), TimeWindow(3 * H, 4 * H))
    jobs = tuple(Job(i, i, service=60, time_windows=two if i == 2 else ()) for i in range(1, 6))
    prep = prepare(Problem((Vehicle(1, start=0, end=0),), jobs, matrices={"car": m}))
    orders = _pyvrp.seed(prep, list(range(5)), [(1, 0)], [0], SolveParams(), 0.3)
    assert orders is not None and sorted(orders[0]) == [0, 1, 2, 3, 4]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 5), min_size=1, max_size=5),
    st.lists(st.tuples(st.integers(0, 1500), st.integers(0, 2000)), min_size=5, max_size=5),
)
def test_builder_day_equals_the_reported_day(
    stops: list[int], windows: list[tuple[int, int]]
) -> None:
    """The construction caps the same working day as the solution reports (leaving as late
    as the route allows), for any feasible order."""
    jobs = tuple(
        Job(k, loc, service=30, time_windows=(TimeWindow(a, a + w),))
        for k, (loc, (a, w)) in enumerate(zip(stops, windows, strict=False), start=1)
    )
    prep = prepare(
        Problem(
            (Vehicle(1, start=0, end=0),),
            jobs,
            matrices={"car": line_matrix([0, 100, 250, 400, 700, 900])},
        )
    )
    order = list(range(len(jobs)))
    builder = Builder(prep, [(1, 0)], [0])
    assume(builder.feasible(0, order))
    assert builder.day(0, order) == day_length(prep, 0, order, [])


def test_balancing_shortens_the_longest_day_and_serves_everything() -> None:
    """Morning and afternoon visits: cheapest is one agent all day; balanced, two agents
    each take a half and the longest day is much shorter."""
    m = line_matrix([0, 1000, 1100, 1200, 1300], speed=5)
    morning, afternoon = TimeWindow(9 * H, 10 * H), TimeWindow(15 * H, 16 * H)
    jobs = (
        Job(1, 1, service=900, time_windows=(morning,)),
        Job(2, 2, service=900, time_windows=(morning,)),
        Job(3, 3, service=900, time_windows=(afternoon,)),
        Job(4, 4, service=900, time_windows=(afternoon,)),
    )
    day = TimeWindow(8 * H, 18 * H)
    fleet = tuple(Vehicle(v, start=0, end=0, time_window=day) for v in (1, 2))
    problem = Problem(fleet, jobs, matrices={"car": m})

    def longest(sol: object) -> int:
        return max(r.steps[-1].arrival - r.steps[0].arrival for r in sol.routes)  # type: ignore[attr-defined]

    plain = solve(problem, SolveParams(time_limit=1))
    balanced = solve(problem, SolveParams(time_limit=1, balance_weight=2))
    assert check(problem, balanced) == [] and not balanced.unassigned
    assert len(plain.routes) == 1 and len(balanced.routes) == 2
    assert longest(balanced) < 0.5 * longest(plain)


def test_two_threads_keep_the_seeded_path() -> None:
    """With a portfolio, the single-thread path (PyVRP start) still runs: the answer is as
    cheap as that path's alone, within noise, and complete."""
    m = scattered(41, seed=5)
    jobs = tuple(Job(i, i, service=120, delivery=(1,)) for i in range(1, 41))
    fleet = tuple(Vehicle(v, start=0, end=0, capacity=(10,)) for v in range(1, 7))
    problem = Problem(fleet, jobs, matrices={"car": m})
    portfolio = solve(problem, SolveParams(time_limit=2, threads=2))
    single = solve(problem, SolveParams(time_limit=2))
    assert check(problem, portfolio) == [] and not portfolio.unassigned
    assert portfolio.summary.cost <= 1.02 * single.summary.cost


def test_stall_window_ends_a_small_search_early_with_the_same_routes() -> None:
    """With ``stall_per_task``, a 6-job problem stops once a window finds nothing better,
    long before its 3 s budget, and at the cost the full search reaches."""
    m = scattered(7, seed=4)
    jobs = tuple(Job(i, i, service=60) for i in range(1, 7))
    fleet = (Vehicle(1, start=0, end=0), Vehicle(2, start=0, end=0))
    problem = Problem(fleet, jobs, matrices={"car": m})
    full = solve(problem, SolveParams(time_limit=3, seed=1))
    early = solve(problem, SolveParams(time_limit=3, seed=1, stall_per_task=0.01))
    assert check(problem, early) == []
    assert early.summary.cost == full.summary.cost
    assert full.summary.computing_times["solving"] >= 2900
    assert early.summary.computing_times["solving"] < 1500, early.summary.computing_times


def test_stall_per_task_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="stall_per_task"):
        SolveParams(stall_per_task=-0.1)


def test_final_pass_inserts_a_task_that_fits_and_leaves_one_that_cannot() -> None:
    """After the search, an unserved shipment that fits goes in (routes keep their order and
    the lunch break its place); one whose window no route can reach stays out."""
    m = line_matrix([0, 100, 200, 300, 400, 500])
    lunch = Break(1, (TimeWindow(1000, 1200),), service=300)
    fleet = (Vehicle(1, start=0, end=0, time_window=TimeWindow(0, 3000), breaks=(lunch,)),)
    ships = (
        Shipment(ShipmentStep(1, 1, service=10), ShipmentStep(2, 2, service=10)),
        Shipment(ShipmentStep(3, 3, service=10), ShipmentStep(4, 4, service=10)),
        Shipment(ShipmentStep(5, 5, service=10), ShipmentStep(6, 0, service=10)),
        Shipment(
            ShipmentStep(7, 4, service=10, time_windows=(TimeWindow(0, 50),)),
            ShipmentStep(8, 0, service=10),
        ),
    )
    problem = Problem(fleet, shipments=ships, matrices={"car": m})
    prep = prepare(problem)
    k = prep.index
    served = [k[("pickup", 1)], k[("delivery", 2)], k[("pickup", 5)], k[("delivery", 6)]]
    tasks = list(range(len(prep.tasks)))
    coeffs, fixed = [(1, 0)], [0]
    filled = fill(prep, tasks, {0: served}, {0: [2]}, coeffs, fixed)
    assert filled is not None
    orders, gaps = filled
    order = orders[0]
    assert {k[("pickup", 3)], k[("delivery", 4)]} <= set(order)
    assert k[("pickup", 7)] not in order and k[("delivery", 8)] not in order
    assert [i for i in order if i in served] == served
    left = {i: "not_fitting" for i in tasks if i not in order}
    assert gaps[0] and not check(problem, solution_from_orders(prep, orders, left, gaps))
    assert fill(prep, tasks, orders, gaps, coeffs, fixed) is None


def lunch_day(n: int = 14) -> Problem:
    """A small township day: shipments through an office with a lunch closure, two agents
    with a lunch break that must start 12:00-13:30 (the days VROOM seeds)."""
    m = scattered(n + 1, seed=3)
    office = (TimeWindow(8 * H + 1800, 12 * H), TimeWindow(14 * H + 1800, 17 * H + 1800))
    lunch = Break(1, (TimeWindow(12 * H, 13 * H + 1800),), service=5400)
    fleet = tuple(
        Vehicle(
            v, start=0, end=0, capacity=(8,), time_window=TimeWindow(8 * H, 18 * H), breaks=(lunch,)
        )
        for v in (1, 2)
    )
    ships = tuple(
        Shipment(
            ShipmentStep(2 * k + 1, k + 1, service=300),
            ShipmentStep(2 * k + 2, 0, service=120, time_windows=office),
            amount=(1,),
        )
        for k in range(n)
    )
    return Problem(fleet, shipments=ships, matrices={"car": m})


def test_vroom_seeded_day_served_and_reproducible_with_a_solution_limit() -> None:
    """A day VROOM seeds: with a time limit every task is served and checked; with a seed
    and a solution limit (no VROOM seed then) two runs give the same routes."""
    problem = lunch_day()
    prep = prepare(problem)
    assert _vroom.preferred(prep, list(range(len(prep.tasks))))
    timed = solve(problem, SolveParams(time_limit=2))
    assert not timed.unassigned and check(problem, timed) == []
    params = SolveParams(time_limit=30, seed=3, solution_limit=30)
    a, b = solve(problem, params), solve(problem, params)
    assert a.routes == b.routes and not a.unassigned and check(problem, a) == []


def test_vroom_seed_names_each_task_once() -> None:
    """VROOM's routes for a lunch day name every task once, pickups before deliveries."""
    prep = prepare(lunch_day())
    tasks = list(range(len(prep.tasks)))
    orders = _vroom.seed(prep, tasks, SolveParams(solution_limit=1), 5.0)
    assert orders is not None
    seen = [i for order in orders.values() for i in order]
    assert sorted(seen) == tasks
    for order in orders.values():
        for i in order:
            if prep.tasks[i].kind == "delivery":
                assert order.index(prep.tasks[i].partner) < order.index(i)
