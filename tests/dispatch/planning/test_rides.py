"""An in-person applicant rides to the centre and home on one car, or not at all."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

import routing
from dispatch.extensions import db
from dispatch.models.agents import Agent, Appointment, VehicleKind
from dispatch.models.cases import Case
from dispatch.models.catalog import ServiceItem
from dispatch.models.plans import StopStatus
from dispatch.models.regions import Region
from dispatch.planning.booking import available_slots
from dispatch.planning.build import CAR_SKILL, routing_task
from dispatch.planning.rides import MAX_WAIT_S, NO_RIDE_HOME, keep_rides_paired
from dispatch.planning.service import plan_township, publish
from dispatch.planning.tasks import COUNTER_S, VISIT_SERVICE_S, Place, visit_tasks
from dispatch.setup.demo import DEMO_TOWNSHIP
from dispatch.workdays import CST, next_working_day

RIDE_DAY = date(2031, 3, 4)  # a Tuesday no other test plans
HUB = Place(
    116.526976, 23.586834, "中心", ((8 * 3600 + 1800, 12 * 3600), (14 * 3600 + 1800, 63000)), 1, 1
)
HOME = (116.487447, 23.602753)
THERE, DROP, FETCH, HOME_AGAIN = ("pickup", 1), ("delivery", 2), ("pickup", 3), ("delivery", 4)


def _ride_problem(shifts: dict[int, tuple[int, int]]):
    """One in-person applicant booked 08:30-10:30 and a car per shift; ids 1-2 there, 3-4 home."""
    applicant = SimpleNamespace(id=5, lon=HOME[0], lat=HOME[1], name="陈秀英", village_id=2)
    window = [datetime.combine(RIDE_DAY, time(h, m), tzinfo=CST) for h, m in ((8, 30), (10, 30))]
    apt = SimpleNamespace(id=9, applicant=applicant, window_start=window[0], window_end=window[1])
    case = SimpleNamespace(id=7, item=SimpleNamespace(in_person=True, counter_minutes=30))
    task_of, shipments = {}, []
    for task in visit_tasks(apt, case, HUB):
        converted = routing_task(task, len(task_of) + 1)
        shipments.append(converted.task)
        task_of.update(converted.task_of)
    hub = (HUB.lon, HUB.lat)
    cars = tuple(
        routing.Vehicle(
            id=v,
            start=hub,
            end=hub,
            capacity=(10, 3),
            skills=frozenset({CAR_SKILL}),
            time_window=routing.TimeWindow(*shift),
        )
        for v, shift in shifts.items()
    )
    return routing.Problem(vehicles=cars, shipments=tuple(shipments)), task_of


def _stops(solution: routing.Solution) -> dict[tuple[str, int], tuple[int, routing.Step]]:
    return {(s.type, s.id): (r.vehicle, s) for r in solution.routes for s in r.steps if s.id}


def test_the_ride_home_driven_first_is_put_after_the_business():
    """A solution that drives the ride home before the ride there (feasible for the solver,
    which links no shipments) is reordered: there, the business, then home."""
    problem, task_of = _ride_problem({1: (8 * 3600, 18 * 3600)})
    reversed_ = routing.evaluate(problem, {1: [FETCH, HOME_AGAIN, THERE, DROP]})
    assert routing.check(problem, reversed_) == []
    fixed = keep_rides_paired(problem, reversed_, task_of)
    assert fixed.orders() == {1: [THERE, DROP, FETCH, HOME_AGAIN]}
    assert routing.check(problem, fixed) == []
    stops = _stops(fixed)
    drop, fetch = stops[DROP][1], stops[FETCH][1]
    assert drop.service == COUNTER_S
    assert fetch.arrival + fetch.waiting_time >= drop.arrival + drop.waiting_time + COUNTER_S
    assert fetch.arrival + fetch.waiting_time - (drop.arrival + COUNTER_S) <= MAX_WAIT_S
    assert any(a <= fetch.arrival + fetch.waiting_time <= b for a, b in HUB.windows)


def test_rides_split_between_two_cars_end_on_one():
    """The ride there on one car and the ride home on another become one car's round trip."""
    problem, task_of = _ride_problem({1: (8 * 3600, 18 * 3600), 2: (8 * 3600, 18 * 3600)})
    split = routing.evaluate(problem, {1: [THERE, DROP], 2: [FETCH, HOME_AGAIN]})
    assert routing.check(problem, split) == []
    fixed = keep_rides_paired(problem, split, task_of)
    assert list(fixed.orders().values()) == [[THERE, DROP, FETCH, HOME_AGAIN]]
    assert routing.check(problem, fixed) == []


def test_no_ride_home_means_no_ride_there():
    """A car whose shift ends after the business but before a drive home: the solver serves
    the ride there alone, and both rides are then dropped with the reason."""
    problem, task_of = _ride_problem({1: (8 * 3600, 10 * 3600)})
    solution = routing.evaluate(problem, {1: [THERE, DROP]})
    assert routing.check(problem, solution) == []
    round_trip = routing.evaluate(problem, {1: [THERE, DROP, FETCH, HOME_AGAIN]})
    assert routing.check(problem, round_trip) != []
    fixed = keep_rides_paired(problem, solution, task_of)
    assert fixed.routes == ()
    assert {(u.type, u.id): u.reason for u in fixed.unassigned} == {
        stop: NO_RIDE_HOME[0] for stop in (THERE, DROP, FETCH, HOME_AGAIN)
    }
    assert routing.check(problem, fixed) == []


@pytest.fixture()
def booked_ride(app):
    """An in-person case of the demo township booked 08:30-10:30 on ``RIDE_DAY``."""
    with app.app_context():
        case = db.session.scalar(
            select(Case)
            .join(Case.village)
            .join(Case.item)
            .where(Region.code.like(DEMO_TOWNSHIP[:9] + "%"), ServiceItem.in_person.is_(True))
            .order_by(Case.id)
        )
        assert case is not None, "the demo township has an in-person case"
        apt = Appointment(
            applicant_id=case.applicant_id,
            case_id=case.id,
            window_start=datetime.combine(RIDE_DAY, time(8, 30), tzinfo=CST),
            window_end=datetime.combine(RIDE_DAY, time(10, 30), tzinfo=CST),
        )
        db.session.add(apt)
        db.session.commit()
        booked = SimpleNamespace(key=f"visit:{apt.id}", apt_id=apt.id, case_id=case.id)
        db.session.remove()
    yield booked
    with app.app_context():
        db.session.delete(db.session.get(Appointment, booked.apt_id))
        db.session.commit()


def _legs(plan, key):
    found = {(s.task_key, s.kind): (r, s) for r in plan.routes for s in r.stops if s.task_key}
    return [found.get(leg) for leg in ((key, "pickup"), (key, "delivery"))] + [
        found.get(leg) for leg in ((key + ":home", "pickup"), (key + ":home", "delivery"))
    ]


def test_the_planner_drives_the_applicant_there_and_home(ctx, booked_ride):
    """Both rides are on the car's route in order, the ride home after the business and inside
    the centre's hours."""
    plan = plan_township(db.session, DEMO_TOWNSHIP, RIDE_DAY, time_limit=1.0)
    db.session.commit()  # planning stores; the caller commits
    legs = _legs(plan, booked_ride.key)
    assert all(legs), [leg and leg[1].label for leg in legs]
    routes = {route.id for route, _ in legs}
    assert len(routes) == 1
    route = legs[0][0]
    assert db.session.get(Agent, route.agent_id).vehicle.kind == VehicleKind.CAR
    seqs = [stop.seq for _, stop in legs]
    assert seqs == sorted(seqs)
    drop, fetch = legs[1][1], legs[2][1]
    assert drop.departure - drop.arrival >= timedelta(seconds=COUNTER_S)
    assert fetch.arrival >= drop.arrival + timedelta(seconds=COUNTER_S)
    assert fetch.window_start <= fetch.arrival <= fetch.window_end
    assert [s.action for _, s in legs] == ["visit", "hand_over", "ride", "ride"]
    assert booked_ride.key not in {u["task_key"] for u in plan.summary["unassigned"]}


def _demo_car() -> Agent:
    township = db.session.scalar(select(Region).where(Region.code == DEMO_TOWNSHIP))
    agents = db.session.scalars(select(Agent).where(Agent.region_id == township.id))
    return next(a for a in agents if a.vehicle and a.vehicle.kind == VehicleKind.CAR)


@pytest.fixture()
def short_car(ctx):
    """Shortens the demo car's shift on a day to 08:00 until just after the earliest end of a
    case's in-person business booked 08:30-10:30: time for the ride there, none for a ride
    home. The shift is restored after the test."""
    saved = dict(_demo_car().shift)

    def shorten(day: date, case_id: int) -> None:
        car, case = _demo_car(), db.session.get(Case, case_id)
        hub = car.vehicle.home_centre
        points = [(case.applicant.lon, case.applicant.lat), (hub.lon, hub.lat)]
        drive = routing.HaversineProvider().matrix(points, "car").durations[0][1]
        # 08:30 at the door, the visit, the drive, the counter, and 10 minutes to spare
        ends = 8 * 60 + 30 + (VISIT_SERVICE_S + COUNTER_S) // 60 + math.ceil(drive / 60) + 10
        until = f"{ends // 60}:{ends % 60:02d}"
        car.shift = {**saved, str(day.isoweekday()): ["08:00", until]}
        db.session.commit()

    yield shorten
    _demo_car().shift = saved
    db.session.commit()


def test_an_applicant_is_never_left_at_the_centre(short_car, booked_ride):
    """When the car cannot drive the applicant home, it does not fetch them either, and the
    plan says why."""
    short_car(RIDE_DAY, booked_ride.case_id)
    plan = plan_township(db.session, DEMO_TOWNSHIP, RIDE_DAY, time_limit=1.0)
    db.session.commit()  # planning stores; the caller commits
    assert _legs(plan, booked_ride.key) == [None] * 4
    reasons = {u["task_key"]: u["reason"] for u in plan.summary["unassigned"]}
    assert reasons[booked_ride.key] == NO_RIDE_HOME[0]
    assert reasons[booked_ride.key + ":home"] == NO_RIDE_HOME[0]
    case = db.session.get(Case, booked_ride.case_id)
    assert NO_RIDE_HOME[1] in case.waiting_reason


def test_a_slot_is_offered_only_when_the_ride_home_fits_too(short_car, booked_ride):
    """Booking an in-person applicant checks the whole round trip: the morning slot is offered
    on a full day and not once only the ride there fits."""
    day = datetime.now(CST).date()
    for _ in range(6):  # a day within the booking horizon that no other test plans
        day = next_working_day(day)
    case = db.session.get(Case, booked_ride.case_id)
    morning = "08:30-10:30"

    def offered() -> bool:
        slots = available_slots(db.session, case.applicant, day, case)
        return next(s["available"] for s in slots if s["label"] == morning)

    assert offered()
    short_car(day, case.id)
    assert not offered()


def test_an_applicant_in_the_car_is_driven_on_and_home_after_a_replan(ctx, booked_ride):
    """The car has fetched the applicant when the day is re-planned: the new version still
    takes them to the counter and home again, on the same car and in order."""
    first = plan_township(db.session, DEMO_TOWNSHIP, RIDE_DAY, time_limit=1.0)
    db.session.commit()  # planning stores; the caller commits
    publish(db.session, first)
    db.session.commit()  # planning stores; the caller commits
    route, fetched = _legs(first, booked_ride.key)[0]
    fetched.status = StopStatus.DONE
    fetched.status_at = fetched.departure
    db.session.commit()
    again = plan_township(db.session, DEMO_TOWNSHIP, RIDE_DAY, time_limit=1.0, reason="re-plan")
    db.session.commit()  # planning stores; the caller commits
    legs = _legs(again, booked_ride.key)
    assert all(legs), [leg and leg[1].label for leg in legs]
    assert {r.agent_id for r, _ in legs} == {route.agent_id}
    assert [s.status for _, s in legs] == ["done", "planned", "planned", "planned"]
    seqs = [stop.seq for _, stop in legs]
    assert seqs == sorted(seqs)
    drop, fetch = legs[1][1], legs[2][1]
    assert drop.departure - drop.arrival >= timedelta(seconds=COUNTER_S)
    assert fetch.arrival >= drop.arrival + timedelta(seconds=COUNTER_S)
    assert (
        routing.check(
            routing.problem_from_vroom(again.problem), routing.solution_from_vroom(again.solution)
        )
        == []
    )


def test_a_longer_counter_business_keeps_the_car_waiting_longer(ctx, booked_ride):
    """An item whose business takes an hour at the counter: the drop lasts the hour and the
    ride home starts after it."""
    day = date(2031, 3, 7)  # a Friday no other test plans
    apt = db.session.get(Appointment, booked_ride.apt_id)
    apt.window_start += day - RIDE_DAY
    apt.window_end += day - RIDE_DAY
    item = db.session.get(Case, booked_ride.case_id).item
    saved, item.counter_minutes = item.counter_minutes, 60
    db.session.commit()
    try:
        plan = plan_township(db.session, DEMO_TOWNSHIP, day, time_limit=1.0)
        db.session.commit()  # planning stores; the caller commits
    finally:
        item.counter_minutes = saved
        db.session.commit()
    legs = _legs(plan, booked_ride.key)
    assert all(legs), [leg and leg[1].label for leg in legs]
    drop, fetch = legs[1][1], legs[2][1]
    assert drop.departure - drop.arrival >= timedelta(minutes=60)
    assert fetch.arrival >= drop.arrival + timedelta(minutes=60)
