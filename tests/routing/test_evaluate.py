"""evaluate() times given orders; try_insert() adds one task without re-optimising."""

from __future__ import annotations

from routing import (
    Break,
    Job,
    Problem,
    Shipment,
    ShipmentStep,
    TimeWindow,
    Vehicle,
    check,
    evaluate,
    try_insert,
)

from .conftest import line_matrix

M = {"car": line_matrix([0, 100, 200, 300, 400, 500])}


def test_evaluate_computes_arrivals_waiting_and_loads() -> None:
    """Arrivals add travel, setup and service; waiting fills up to the window; loads drop.

    The first stop's window closes on arrival, so the wait cannot move to the start.
    """
    veh = Vehicle(1, start=0, end=0, capacity=(5,))
    jobs = (
        Job(1, 1, setup=10, service=20, delivery=(2,), time_windows=(TimeWindow(0, 100),)),
        Job(2, 1, setup=10, service=5, pickup=(1,), time_windows=(TimeWindow(400, 500),)),
    )
    sol = evaluate(Problem((veh,), jobs, matrices=M), {1: [1, 2]})
    start, first, second, end = sol.routes[0].steps
    assert (first.arrival, first.setup, first.load) == (100, 10, (0,))
    assert (second.arrival, second.setup, second.waiting_time) == (130, 0, 270)
    assert second.load == (1,) and start.load == (2,)
    assert end.arrival == 400 + 5 + 100 and sol.summary.duration == 200


def test_evaluate_delays_the_start_to_avoid_waiting() -> None:
    """The start moves later by the waiting at the first stop."""
    veh = Vehicle(1, start=0, end=0)
    job = Job(1, 2, time_windows=(TimeWindow(1000, 2000),))
    steps = evaluate(Problem((veh,), (job,), matrices=M), {1: [1]}).routes[0].steps
    assert steps[0].arrival == 800 and steps[1].waiting_time == 0


def test_waiting_later_in_the_route_is_taken_at_the_start() -> None:
    """Leaving later absorbs a wait at the second stop when the first stop's window allows,
    so the working day is shorter and the route ends at the same time."""
    veh = Vehicle(1, start=0, end=0)
    jobs = (
        Job(1, 1, time_windows=(TimeWindow(0, 1000),)),
        Job(2, 2, time_windows=(TimeWindow(900, 950),)),
    )
    steps = evaluate(Problem((veh,), jobs, matrices=M), {1: [1, 2]}).routes[0].steps
    assert [s.waiting_time for s in steps[1:3]] == [0, 0]
    assert (steps[0].arrival, steps[2].arrival, steps[-1].arrival) == (700, 900, 1100)


def test_evaluate_places_the_break_where_it_fits() -> None:
    """A break with a window after the first stop goes after it, inside the window."""
    brk = Break(3, (TimeWindow(300, 400),), service=60)
    veh = Vehicle(1, start=0, end=0, breaks=(brk,))
    p = Problem((veh,), (Job(1, 1), Job(2, 5)), matrices=M)
    sol = evaluate(p, {1: [1, 2]})
    types = [s.type for s in sol.routes[0].steps]
    assert types == ["start", "job", "break", "job", "end"]
    assert check(p, sol) == []


def test_manual_drag_into_a_closed_window_is_reported() -> None:
    """Moving a stop behind a far one makes its window unreachable: check says so."""
    veh = Vehicle(1, start=0, end=0)
    jobs = (Job(1, 1, time_windows=(TimeWindow(0, 150),)), Job(2, 5))
    p = Problem((veh,), jobs, matrices=M)
    assert check(p, evaluate(p, {1: [1, 2]})) == []
    assert [v.code for v in check(p, evaluate(p, {1: [2, 1]}))] == ["time_window"]


def test_try_insert_finds_the_cheapest_feasible_place() -> None:
    """An unassigned job goes between its neighbours on the line."""
    veh = Vehicle(1, start=0, end=0)
    p = Problem((veh,), (Job(1, 1), Job(2, 3), Job(3, 2)), matrices=M)
    base = evaluate(p, {1: [1, 2]})
    sol = try_insert(p, base, 3)
    assert sol is not None and check(p, sol) == []
    assert [s.id for s in sol.routes[0].steps[1:-1]] == [1, 3, 2]


def test_try_insert_places_a_shipment_and_returns_none_when_impossible() -> None:
    """A shipment is inserted as a pair; a job that cannot fit gives None."""
    veh = Vehicle(1, start=0, end=0, time_window=TimeWindow(0, 1200))
    ship = Shipment(ShipmentStep(10, 4), ShipmentStep(11, 2))
    far = Job(1, 5, service=500)
    p = Problem((veh,), (far,), (ship,), matrices=M)
    base = evaluate(p, {1: [("pickup", 10), ("delivery", 11)]})
    assert try_insert(p, base, 1) is None
    base = evaluate(p, {1: []})
    sol = try_insert(p, base, 10)
    assert sol is not None and [s.id for s in sol.routes[0].steps[1:-1]] == [10, 11]


def test_ambiguous_id_needs_a_kind() -> None:
    """A job and a pickup sharing id 1 must be referred to as (kind, id)."""
    veh = Vehicle(1, start=0, end=0)
    p = Problem(
        (veh,), (Job(1, 1),), (Shipment(ShipmentStep(1, 2), ShipmentStep(2, 3)),), matrices=M
    )
    sol = evaluate(p, {1: [("job", 1), ("pickup", 1), 2]})
    assert check(p, sol) == []
    try:
        evaluate(p, {1: [1]})
    except ValueError as exc:
        assert "ambiguous" in str(exc)
    else:
        raise AssertionError("expected ValueError")
