"""Each constraint changes the answer: solve() must honour it and pass the checker."""

from __future__ import annotations

from dataclasses import replace

import pytest

from routing import (
    Break,
    Costs,
    Job,
    Problem,
    Shipment,
    ShipmentStep,
    Solution,
    SolveParams,
    TimeWindow,
    Vehicle,
    check,
    solve,
)

from .conftest import FAST, line_matrix

# Locations 0..5 on a line: depot at 0, then 100 m apart.
M = {"car": line_matrix([0, 100, 200, 300, 400, 500])}


def order(solution: Solution, vehicle: int) -> list[int]:
    """Task ids served by ``vehicle``, in order."""
    route = solution.route_of(vehicle)
    return [s.id for s in route.steps if s.type not in ("start", "end", "break")] if route else []


def reasons(solution: Solution) -> dict[int, str]:
    """Unassigned task id -> reason code."""
    return {u.id: u.reason for u in solution.unassigned}


def solved(problem: Problem, params: SolveParams = FAST) -> Solution:
    """Solve and assert the checker finds nothing."""
    solution = solve(problem, params)
    assert check(problem, solution) == []
    return solution


def depot_vehicle(vid: int = 1, **kw: object) -> Vehicle:
    """A vehicle starting and ending at location 0."""
    return Vehicle(id=vid, start=0, end=0, **kw)  # type: ignore[arg-type]


def test_multiple_time_windows_wait_for_the_afternoon() -> None:
    """A stop missing its morning window is served at the start of the next one."""
    job = Job(1, 3, time_windows=(TimeWindow(0, 100), TimeWindow(1000, 1100)))
    step = solved(Problem((depot_vehicle(),), (job,), matrices=M)).routes[0].steps[1]
    assert step.arrival + step.waiting_time == 1000


def test_vehicle_working_window_leaves_far_job_unassigned() -> None:
    """A job too far for the working window is unassigned as unreachable."""
    far, near = Job(1, 5, service=50), Job(2, 1)
    veh = depot_vehicle(time_window=TimeWindow(0, 900))
    sol = solved(Problem((veh,), (far, near), matrices=M))
    assert order(sol, 1) == [2]
    assert reasons(sol) == {1: "time_window_unreachable"}
    assert solved(Problem((depot_vehicle(),), (far, near), matrices=M)).unassigned == ()


def test_break_is_taken_inside_its_window() -> None:
    """A lunch break appears once, starting inside its window."""
    brk = Break(7, (TimeWindow(250, 300),), service=100)
    veh = depot_vehicle(time_window=TimeWindow(0, 5000), breaks=(brk,))
    sol = solved(Problem((veh,), (Job(1, 2), Job(2, 4)), matrices=M))
    breaks = [s for s in sol.routes[0].steps if s.type == "break"]
    assert len(breaks) == 1 and 250 <= breaks[0].arrival <= 300
    assert sol.routes[0].steps[-1].arrival == 800 + 100


@pytest.mark.parametrize("dimension", [0, 1])
def test_capacity_in_each_dimension_splits_the_load(dimension: int) -> None:
    """Two jobs that together exceed one dimension need two vehicles."""
    amount = tuple(2 if d == dimension else 0 for d in range(2))
    jobs = (Job(1, 1, delivery=amount), Job(2, 2, delivery=amount))
    fleet = tuple(depot_vehicle(v, capacity=(3, 3)) for v in (1, 2))
    sol = solved(Problem(fleet, jobs, matrices=M))
    assert sorted(len(order(sol, v)) for v in (1, 2)) == [1, 1]


def test_skills_send_the_passenger_to_the_car() -> None:
    """A passenger needing skill 1 rides with the only vehicle that has it, though farther."""
    bike = Vehicle(1, start=1, end=1)
    car = Vehicle(2, start=5, end=5, skills=frozenset({1}))
    sol = solved(Problem((bike, car), (Job(1, 1, skills=frozenset({1})),), matrices=M))
    assert order(sol, 2) == [1] and order(sol, 1) == []


def test_pickup_before_delivery_on_one_vehicle() -> None:
    """A shipment's pickup precedes its delivery even when the reverse is shorter."""
    ship = Shipment(ShipmentStep(10, 4), ShipmentStep(11, 1), amount=(1,))
    veh = depot_vehicle(capacity=(1,))
    sol = solved(Problem((veh,), shipments=(ship,), matrices=M))
    assert order(sol, 1) == [10, 11]


def test_lower_priority_is_dropped_first() -> None:
    """With room for one job, the higher priority one stays."""
    jobs = (Job(1, 1, priority=0), Job(2, 5, priority=10))
    sol = solved(Problem((depot_vehicle(max_tasks=1),), jobs, matrices=M))
    assert order(sol, 1) == [2]
    assert reasons(sol) == {1: "priority_dropped"}


@pytest.mark.parametrize(
    ("limit", "expected"),
    [({"max_tasks": 2}, 2), ({"max_travel_time": 400}, 2), ({"max_distance": 600}, 3)],
)
def test_route_limits_cap_the_tasks_served(limit: dict[str, int], expected: int) -> None:
    """max_tasks, max_travel_time and max_distance each cut the route short."""
    jobs = tuple(Job(i, i) for i in (1, 2, 3, 4))
    sol = solved(Problem((depot_vehicle(**limit),), jobs, matrices=M))
    assert len(order(sol, 1)) == expected
    assert len(solved(Problem((depot_vehicle(),), jobs, matrices=M)).unassigned) == 0


def test_fixed_cost_prefers_the_cheaper_vehicle() -> None:
    """Between two identical vehicles the one without a fixed cost is used."""
    fleet = (depot_vehicle(1, costs=Costs(fixed=1000)), depot_vehicle(2))
    sol = solved(Problem(fleet, (Job(1, 2),), matrices=M))
    assert [r.vehicle for r in sol.routes] == [2]
    fleet = (depot_vehicle(1), depot_vehicle(2, costs=Costs(fixed=1000)))
    assert [r.vehicle for r in solved(Problem(fleet, (Job(1, 2),), matrices=M)).routes] == [1]


def test_per_km_cost_beats_per_hour_cost() -> None:
    """A vehicle paying per km is used over a pricier per-hour one, and the cost is reported."""
    fleet = (
        depot_vehicle(1, costs=Costs(per_hour=36000)),
        depot_vehicle(2, costs=Costs(per_hour=0, per_km=1000)),
    )
    sol = solved(Problem(fleet, (Job(1, 2),), matrices=M))
    assert [r.vehicle for r in sol.routes] == [2]
    assert sol.summary.cost == 400  # 0.4 km at 1000 per km


def test_locked_prefix_stays_first_in_order() -> None:
    """Locked stops stay first, in the given order, even when that is longer."""
    jobs = tuple(Job(i, i) for i in (1, 2, 3, 4))
    veh = depot_vehicle(steps=(4, 1))
    sol = solved(Problem((veh,), jobs, matrices=M))
    assert order(sol, 1)[:2] == [4, 1]
    assert order(solved(Problem((depot_vehicle(),), jobs, matrices=M)), 1)[0] in (1, 4)


def test_locked_prefix_may_hold_a_pickup_whose_delivery_follows() -> None:
    """A locked pickup keeps its delivery on the same vehicle afterwards."""
    ship = Shipment(ShipmentStep(10, 3), ShipmentStep(11, 1))
    fleet = (depot_vehicle(1), depot_vehicle(2, steps=(10,)))
    sol = solved(Problem(fleet, shipments=(ship,), matrices=M))
    assert order(sol, 2) == [10, 11]


def test_balance_weight_spreads_the_work() -> None:
    """With balancing the longest route is shorter than without."""
    jobs = tuple(Job(i, 5, service=600) for i in range(1, 5))
    fleet = tuple(depot_vehicle(v) for v in (1, 2))
    plain = solved(Problem(fleet, jobs, matrices=M))
    balanced = solved(Problem(fleet, jobs, matrices=M), replace(FAST, balance_weight=1.0))

    def longest(sol: Solution) -> int:
        return max(r.steps[-1].arrival - r.steps[0].arrival for r in sol.routes)

    assert longest(balanced) < longest(plain)
    assert len(balanced.routes) == 2


@pytest.mark.parametrize(
    ("job", "reason"),
    [
        (Job(1, 1, skills=frozenset({9})), "no_vehicle_with_skills"),
        (Job(1, 1, delivery=(5,)), "capacity"),
        (Job(1, 5, time_windows=(TimeWindow(0, 100),)), "time_window_unreachable"),
    ],
)
def test_reasons_for_impossible_tasks(job: Job, reason: str) -> None:
    """Tasks no vehicle can serve come back with the right reason code."""
    sol = solved(Problem((depot_vehicle(capacity=(2,)),), (job,), matrices=M))
    assert reasons(sol) == {1: reason}
    assert sol.unassigned[0].reason_text


def test_coordinates_without_matrices_use_haversine() -> None:
    """A problem with (lon, lat) points only is solved with built matrices."""
    depot = (116.37, 23.55)
    jobs = (Job(1, (116.40, 23.56)), Job(2, (116.30, 23.50)))
    sol = solved(Problem((Vehicle(1, profile="motorbike", start=depot, end=depot),), jobs))
    assert sol.unassigned == () and sol.summary.distance > 10_000
    assert sol.routes[0].steps[1].location is not None


def test_unused_vehicle_with_break_does_not_block() -> None:
    """A vehicle whose break window lies outside the day can still stay unused."""
    brk = Break(1, (TimeWindow(100, 200),), service=50)
    fleet = (depot_vehicle(1), depot_vehicle(2, breaks=(brk,)))
    sol = solved(Problem(fleet, (Job(1, 1),), matrices=M))
    assert [r.vehicle for r in sol.routes] == [1]
