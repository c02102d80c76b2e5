"""Keep an in-person applicant's two rides together: to the centre, and home again.

A villager who must appear in person (an ID card, a marriage registration) is fetched from
home by the service car and brought back the same day. The agent stays with them through the
counter business and the car waits: village agents accompany the elderly at the counter
(陪同办理), a township has one or two cars, and a car that left would have to come back
anyway. So the ride there is a shipment home -> centre whose drop at the centre lasts the
business (the item's ``counter_minutes``, inside opening hours), and the ride home is a
second shipment centre -> home that needs the same seat and the car skill.

``routing`` knows no link between two shipments, so after solving every ride home must sit on
the car of its ride there, after the drop and with the applicant waiting at most
``MAX_WAIT_S``. A pair the solver split is repaired here (the ride home put after the drop,
else the whole round trip put where it fits) and, failing that, neither ride is served and
both say why: an applicant is never left at the centre.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import routing
from dispatch.planning.tasks import TaskSpec

log = logging.getLogger(__name__)

MAX_WAIT_S = 30 * 60  # after the business, before the ride home starts
MAX_BETWEEN = 2  # stops the car may make between the drop and the ride home (hand-overs)
NO_RIDE_HOME = (
    "ride_home_unserved",
    "当天无法送申请人回家，去程也不安排 / the applicant could not be driven home the same "
    "day, so the ride to the centre is not planned either",
)
NO_RIDE_THERE = (
    "ride_there_unserved",
    "去程未安排，回程也不安排 / the ride to the centre is not planned, so neither is the ride home",
)

Stop = tuple[str, int]  # ("pickup", id) or ("delivery", id), as in Solution.orders()
Orders = dict[int, list[Stop]]


@dataclass(frozen=True)
class Ride:
    """The stops of one round trip, in the order they must be driven.

    ``there`` is the fetch from home and the drop at the centre; once a re-plan finds the
    applicant already in the car, only the drop (a job, ``dispatch.planning.carried``).
    """

    there: tuple[Stop, ...]
    back: tuple[Stop, Stop]

    @property
    def drop(self) -> Stop:
        return self.there[-1]

    @property
    def stops(self) -> tuple[Stop, ...]:
        return (*self.there, *self.back)


def rides_of(task_of: Mapping[int, tuple[TaskSpec, str]]) -> list[Ride]:
    """The round trips among the routing tasks (a ride home whose ride there is planned too)."""
    ids: dict[str, dict[str, int]] = {}
    for tid, (task, role) in task_of.items():
        ids.setdefault(task.key, {})[role] = tid
    return [
        Ride(
            (("pickup", there["pickup"]), ("delivery", there["delivery"]))
            if "pickup" in there
            else (("job", there["job"]),),
            (("pickup", tid), ("delivery", ids[task.key]["delivery"])),
        )
        for tid, (task, role) in sorted(task_of.items())
        if role == "pickup" and task.ride_out and (there := ids.get(task.ride_out))
    ]


def ride_keys(tasks: Iterable[TaskSpec], key: str) -> set[str]:
    """The keys of both rides when ``key`` is one of them, else just ``key``."""
    for task in tasks:
        if task.ride_out and key in (task.key, task.ride_out):
            return {task.key, task.ride_out}
    return {key}


def drivers_of_rides_under_way(
    tasks: Sequence[TaskSpec], routes: Mapping[int, list[str]]
) -> dict[str, int]:
    """Pins for rides home whose ride there is done or under way: the same agent drives."""
    planned = {t.key for t in tasks}
    driver = {key: agent for agent, keys in routes.items() for key in keys}
    return {
        t.key: driver[t.ride_out]
        for t in tasks
        if t.ride_out and t.ride_out not in planned and t.ride_out in driver
    }


def keep_rides_paired(
    problem: routing.Problem,
    solution: routing.Solution,
    task_of: Mapping[int, tuple[TaskSpec, str]],
) -> routing.Solution:
    """``solution`` with every round trip on one car and in order, or not served at all."""
    rides = rides_of(task_of)
    broken = [r for r in rides if not together(solution, r)]
    if not broken:
        return solution
    orders: Orders = solution.orders()
    dropped: dict[Stop, tuple[str, str]] = {}
    for ride in broken:
        orders = _repair(problem, orders, ride, dropped)
    fixed = routing.evaluate(problem, orders)
    if routing.check(problem, fixed):  # a locked prefix held a split ride: keep the dispatcher's
        log.warning("could not re-pair %d rides without breaking a locked route", len(broken))
        return solution
    return _with_reasons(fixed, solution, dropped)


def place_ride(
    problem: routing.Problem, solution: routing.Solution, ride: Ride
) -> routing.Solution | None:
    """Route a round trip not yet in ``solution``; None when it does not fit the day."""
    orders = _insert(problem, _without(solution.orders(), ride.stops), ride)
    return None if orders is None else routing.evaluate(problem, orders)


def together(solution: routing.Solution, ride: Ride) -> bool:
    """Both rides on one route in order with a short wait, or neither served."""
    where: dict[Stop, tuple[int, int, routing.Step]] = {
        (s.type, s.id): (route.vehicle, n, s)
        for route in solution.routes
        for n, s in enumerate(route.steps)
        if s.id is not None
    }
    found = [where.get(stop) for stop in ride.stops]
    if not any(found):
        return True
    if not all(found) or len({f[0] for f in found if f}) != 1:
        return False
    positions = [f[1] for f in found if f]
    if positions != sorted(positions):
        return False
    drop, home = (f[2] for f in found[len(ride.there) - 1 : len(ride.there) + 1] if f)
    business_ends = drop.arrival + drop.waiting_time + drop.setup + drop.service
    return home.arrival + home.waiting_time - business_ends <= MAX_WAIT_S


def _repair(
    problem: routing.Problem, orders: Orders, ride: Ride, dropped: dict[Stop, tuple[str, str]]
) -> Orders:
    """Put the ride home after the ride there, else the round trip elsewhere, else drop both."""
    orders = _without(orders, ride.back)
    if _vehicle_of(orders, ride.drop) is None:
        dropped.update(dict.fromkeys(ride.back, NO_RIDE_THERE))
        return _without(orders, ride.there)
    after = _back_after_drop(problem, orders, ride)
    if after is not None:
        return after
    orders = _without(orders, ride.there)
    placed = _insert(problem, orders, ride)
    if placed is not None:
        return placed
    dropped.update(dict.fromkeys(ride.stops, NO_RIDE_HOME))
    return orders


def _insert(problem: routing.Problem, orders: Orders, ride: Ride) -> Orders | None:
    """The ride there at its cheapest place with the ride home after it, else as one block."""
    first = ride.there[0]
    key: routing.TaskKey = first[1] if first[0] == "job" else first
    inserted = routing.try_insert(problem, routing.evaluate(problem, orders), key)
    if inserted is not None:
        after = _back_after_drop(problem, inserted.orders(), ride)
        if after is not None:
            return after
    blocks = (
        {**orders, v.id: route[:p] + list(ride.stops) + route[p:]}
        for v in problem.vehicles
        for route in [orders.get(v.id, [])]
        for p in range(len(v.steps), len(route) + 1)
    )
    return _cheapest(problem, blocks, ride)


def _back_after_drop(problem: routing.Problem, orders: Orders, ride: Ride) -> Orders | None:
    """The ride home on the same car, started within ``MAX_BETWEEN`` stops of the drop."""
    v = _vehicle_of(orders, ride.drop)
    if v is None:
        return None
    route = orders[v]
    drop = route.index(ride.drop)
    pickup, delivery = ride.back
    trials = (
        {**orders, v: route[:j] + [pickup] + route[j:k] + [delivery] + route[k:]}
        for j in range(drop + 1, min(drop + 2 + MAX_BETWEEN, len(route) + 1))
        for k in range(j, len(route) + 1)
    )
    return _cheapest(problem, trials, ride)


def _cheapest(problem: routing.Problem, trials: Iterable[Orders], ride: Ride) -> Orders | None:
    best: tuple[int, Orders] | None = None
    for trial in trials:
        solution = routing.evaluate(problem, trial)
        if routing.check(problem, solution) or not together(solution, ride):
            continue
        if best is None or solution.summary.cost < best[0]:
            best = (solution.summary.cost, trial)
    return None if best is None else best[1]


def _vehicle_of(orders: Orders, stop: Stop) -> int | None:
    return next((v for v, route in orders.items() if stop in route), None)


def _without(orders: Orders, stops: Sequence[Stop]) -> Orders:
    return {v: [s for s in route if s not in stops] for v, route in orders.items()}


def _with_reasons(
    fixed: routing.Solution, solved: routing.Solution, dropped: Mapping[Stop, tuple[str, str]]
) -> routing.Solution:
    """The solver's reasons for what it left out, and ours for the rides dropped here."""
    before = {(u.type, u.id): (u.reason, u.reason_text) for u in solved.unassigned}
    unassigned = []
    for u in fixed.unassigned:
        reason = dropped.get((u.type, u.id)) or before.get((u.type, u.id))
        unassigned.append(replace(u, reason=reason[0], reason_text=reason[1]) if reason else u)
    summary = replace(fixed.summary, computing_times=solved.summary.computing_times)
    return replace(fixed, unassigned=tuple(unassigned), summary=summary)
