"""Timed routes for given task orders: :func:`evaluate` and :func:`try_insert`.

Schedules are earliest-feasible: a vehicle leaves its start at the start of its working
window (the start step is then moved later by the waiting at the first stop), a stop's
service starts at the first window it can reach, setup is skipped when the previous stop is
at the same location (as in VROOM), and breaks are put where they fit.

A break happens between two stops, possibly on the way: it starts no earlier than the
departure from the previous stop, and the next stop is reached no earlier than that
departure plus the travel time plus the breaks taken in between.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from routing._prepared import HORIZON, Prepared, prepare
from routing.checker import check
from routing.matrix import MatrixProvider
from routing.model import Problem, TaskKey
from routing.solution import REASONS, Route, Solution, Step, Summary, Unassigned

__all__ = ["evaluate", "try_insert"]

logger = logging.getLogger("routing.schedule")


@dataclass
class _Timeline:
    steps: list[Step] = field(default_factory=list)
    late: int = 0  # stops, breaks or the end missing their windows
    end_time: int = 0


def _first_fit(windows: Sequence[tuple[int, int]], t: int) -> tuple[int, bool]:
    for start, end in windows:
        if t <= end:
            return max(t, start), True
    return t, False


def _simulate(
    prep: Prepared, v: int, order: Sequence[int], gaps: Sequence[int], depart: int | None = None
) -> _Timeline:
    """Schedule ``order`` on vehicle ``v`` with break ``b`` before stop ``gaps[b]``, leaving
    at ``depart`` (default: the start of the vehicle's window)."""
    veh = prep.vehicles[v]
    dur, dist = prep.durations_of(v), prep.distances[veh.profile]
    tl = _Timeline()
    t = prep.window(v)[0] if depart is None else depart
    load = [0] * prep.dims
    for k in order:
        if prep.tasks[k].kind == "job":
            load = [a + b for a, b in zip(load, prep.tasks[k].delivery, strict=True)]
    loc: int | None = prep.starts[v]
    travel_sum = dist_sum = 0
    if loc is not None:
        tl.steps.append(Step("start", t, 0, 0, tuple(load), location_index=loc))
    stops: list[int | None] = [*order, None]
    for g, i in enumerate(stops):
        nxt = prep.ends[v] if i is None else prep.tasks[i].loc
        travel = int(dur[loc, nxt]) if loc is not None and nxt is not None else 0
        metres = int(dist[loc, nxt]) if loc is not None and nxt is not None else 0
        for b, gap in enumerate(gaps):
            if gap != g:
                continue
            brk = veh.breaks[b]
            windows = [(w.start, w.end) for w in brk.time_windows] or [(0, HORIZON)]
            start, ok = _first_fit(windows, t + travel)
            if not ok:
                start, ok = _first_fit(windows, t)
            done = min(travel, max(0, start - t))
            tl.late += not ok
            where = loc if done == 0 else (nxt if done == travel else None)
            tl.steps.append(
                Step(
                    "break",
                    start,
                    travel_sum + done,
                    dist_sum,
                    tuple(load),
                    id=brk.id,
                    location_index=where,
                    service=brk.service,
                    description=brk.description,
                )
            )
            travel, travel_sum, t = travel - done, travel_sum + done, start + brk.service
        arrival = t + travel
        travel_sum += travel
        dist_sum += metres
        if i is None:
            if nxt is not None:
                tl.steps.append(
                    Step("end", arrival, travel_sum, dist_sum, tuple(load), location_index=nxt)
                )
            tl.late += arrival > prep.window(v)[1]
            tl.end_time = arrival
            break
        task = prep.tasks[i]
        setup = task.setup if loc != task.loc else 0
        start, ok = _first_fit(task.windows, arrival)
        tl.late += not ok
        load = [a + b for a, b in zip(load, task.delta, strict=True)]
        tl.steps.append(
            Step(
                task.kind,
                arrival,
                travel_sum,
                dist_sum,
                tuple(load),
                id=task.id,
                location_index=task.loc,
                setup=setup,
                service=task.service,
                waiting_time=start - arrival,
                description=task.description,
            )
        )
        t, loc = start + setup + task.service, task.loc
    return tl


def latest_departure(prep: Prepared, v: int, order: Sequence[int], gaps: Sequence[int]) -> int:
    """The latest time vehicle ``v`` can leave without finishing later or missing a window.

    Waiting anywhere on the route is taken at the start instead, so the working day is as
    short as this order allows (OR-Tools measures a span the same way). Leaving later never
    makes anything earlier, so a bisection finds it.
    """
    lo, hi = prep.window(v)
    base = _simulate(prep, v, order, gaps)
    if base.late or not order:
        return lo
    good, bad = lo, min(hi, base.end_time) + 1
    while bad - good > 1:
        mid = (good + bad) // 2
        tl = _simulate(prep, v, order, gaps, mid)
        if tl.late or tl.end_time != base.end_time:
            bad = mid
        else:
            good = mid
    return good


def day_length(prep: Prepared, v: int, order: Sequence[int], gaps: Sequence[int]) -> int:
    """Seconds from leaving the start to the end of the route, leaving as late as possible."""
    if not order:
        return 0
    return _simulate(prep, v, order, gaps).end_time - latest_departure(prep, v, order, gaps)


def work_time(prep: Prepared, v: int, order: Sequence[int], gaps: Sequence[int]) -> int:
    """The part of the day not spent waiting: travel, setup, service and breaks."""
    steps = _simulate(prep, v, order, gaps).steps
    if not steps:
        return 0
    busy = sum(s.setup + s.service for s in steps if s.type not in ("start", "end"))
    return steps[-1].duration + busy


def place_breaks(prep: Prepared, v: int, order: Sequence[int]) -> list[int]:
    """Choose, per break in turn, the stop it goes before (fewest misses, then earliest end)."""
    gaps: list[int] = []
    for brk in prep.vehicles[v].breaks:
        last_end = max((w.end for w in brk.time_windows), default=HORIZON)
        best: tuple[tuple[int, int], int] | None = None
        for g in range(gaps[-1] if gaps else 0, len(order) + 1):
            tl = _simulate(prep, v, order, [*gaps, g])
            key = (tl.late, tl.end_time)
            if best is None or key < best[0]:
                best = (key, g)
            departs = [s for s in tl.steps if s.type == "break" and s.id == brk.id]
            if departs and departs[0].arrival > last_end:
                break
        gaps.append(best[1] if best else len(order))
    return gaps


def route_holds(prep: Prepared, v: int, order: Sequence[int]) -> list[int] | None:
    """Break gaps for ``order`` on vehicle ``v`` when it keeps every window, capacity and
    limit of the vehicle, else ``None``."""
    veh = prep.vehicles[v]
    gaps = place_breaks(prep, v, order)
    tl = _simulate(prep, v, order, gaps)
    cap = prep.amount(veh.capacity)
    if tl.late or any(x > c for st in tl.steps for x, c in zip(st.load, cap, strict=True)):
        return None
    if veh.max_tasks is not None and len(order) > veh.max_tasks:
        return None
    last = tl.steps[-1] if tl.steps else None
    if last and veh.max_travel_time is not None and last.duration > veh.max_travel_time:
        return None
    if last and veh.max_distance is not None and last.distance > veh.max_distance:
        return None
    return gaps


def make_route(prep: Prepared, v: int, order: Sequence[int], gaps: Sequence[int] | None) -> Route:
    """Timed route of ``order`` on vehicle ``v``; breaks before ``gaps`` or placed greedily."""
    if gaps is None:
        gaps = place_breaks(prep, v, order)
    steps = _simulate(prep, v, order, gaps, latest_departure(prep, v, order, gaps)).steps
    if prep.coords is not None:
        coords = prep.coords
        steps = [
            replace(s, location=coords[s.location_index])
            if s.location_index is not None and s.location_index < len(coords)
            else s
            for s in steps
        ]
    veh = prep.vehicles[v]
    tasks = [prep.tasks[i] for i in order]
    duration = steps[-1].duration if steps else 0
    distance = steps[-1].distance if steps else 0
    cost = (
        veh.costs.fixed + veh.costs.per_hour * duration / 3600 + veh.costs.per_km * distance / 1000
    )
    zero = [0] * prep.dims
    delivery, pickup = list(zero), list(zero)
    for t in tasks:
        if t.kind != "pickup":
            delivery = [a + b for a, b in zip(delivery, t.delivery, strict=True)]
        if t.kind != "delivery":
            pickup = [a + b for a, b in zip(pickup, t.pickup, strict=True)]
    return Route(
        vehicle=veh.id,
        steps=tuple(steps),
        cost=round(cost),
        setup=sum(s.setup for s in steps),
        service=sum(s.service for s in steps),
        duration=duration,
        waiting_time=sum(s.waiting_time for s in steps),
        priority=sum(t.priority for t in tasks),
        delivery=tuple(delivery),
        pickup=tuple(pickup),
        distance=distance,
        description=veh.description,
    )


def summarize(
    prep: Prepared,
    routes: Sequence[Route],
    unassigned: Sequence[Unassigned],
    times: Mapping[str, int] | None = None,
) -> Solution:
    """Assemble a :class:`Solution` with its summary."""

    def total(attr: str) -> tuple[int, ...]:
        acc = [0] * prep.dims
        for r in routes:
            acc = [a + b for a, b in zip(acc, getattr(r, attr), strict=True)]
        return tuple(acc)

    summary = Summary(
        cost=sum(r.cost for r in routes),
        routes=len(routes),
        unassigned=len(unassigned),
        setup=sum(r.setup for r in routes),
        service=sum(r.service for r in routes),
        duration=sum(r.duration for r in routes),
        waiting_time=sum(r.waiting_time for r in routes),
        priority=sum(r.priority for r in routes),
        delivery=total("delivery"),
        pickup=total("pickup"),
        distance=sum(r.distance for r in routes),
        computing_times=dict(times or {}),
    )
    return Solution(routes=tuple(routes), unassigned=tuple(unassigned), summary=summary)


def unassigned_entry(prep: Prepared, i: int, reason: str) -> Unassigned:
    """The unassigned record of task ``i``."""
    t = prep.tasks[i]
    coords = prep.coords[t.loc] if prep.coords is not None and t.loc < len(prep.coords) else None
    return Unassigned(
        id=t.id,
        type=t.kind,
        reason=reason,
        reason_text=REASONS.get(reason, ""),
        location_index=t.loc,
        location=coords,
        description=t.description,
    )


def solution_from_orders(
    prep: Prepared,
    orders: Mapping[int, Sequence[int]],
    reasons: Mapping[int, str],
    gaps: Mapping[int, Sequence[int]] | None = None,
    times: Mapping[str, int] | None = None,
) -> Solution:
    """Timed solution for vehicle-index → task-index orders; other tasks get ``reasons``."""
    routes = [
        make_route(prep, v, order, (gaps or {}).get(v))
        for v, order in sorted(orders.items())
        if order
    ]
    served = {i for order in orders.values() for i in order}
    missing = [
        unassigned_entry(prep, i, reasons.get(i, "not_fitting"))
        for i in range(len(prep.tasks))
        if i not in served
    ]
    return summarize(prep, routes, missing, times)


def evaluate(
    problem: Problem,
    routes: Mapping[int, Sequence[TaskKey]],
    provider: MatrixProvider | None = None,
) -> Solution:
    """Build the timed solution for given task orders, without optimising.

    Parameters
    ----------
    problem
        The problem.
    routes
        ``{vehicle id: [task key, ...]}``; a task key is a task id, or ``(kind, id)`` when
        a job and a shipment step share the id.
    provider
        Matrix provider used when the problem has coordinates but no matrices.

    Returns
    -------
    Solution
        Earliest-feasible schedule; tasks not in ``routes`` are unassigned. Pass it to
        :func:`routing.check` to list the violations (a manual drag, for instance).
    """
    prep = prepare(problem, provider)
    by_id = {veh.id: v for v, veh in enumerate(problem.vehicles)}
    orders: dict[int, list[int]] = {}
    for vid, keys in routes.items():
        if vid not in by_id:
            raise ValueError(f"routes: unknown vehicle {vid}")
        orders[by_id[vid]] = [prep.task_of(k) for k in keys]
    return solution_from_orders(prep, orders, {})


def try_insert(
    problem: Problem,
    solution: Solution,
    task: TaskKey,
    provider: MatrixProvider | None = None,
) -> Solution | None:
    """Insert one unassigned job or shipment at its cheapest feasible place.

    Parameters
    ----------
    problem
        The problem the solution belongs to.
    solution
        Current routes; they keep their order (the task is only inserted).
    task
        Key of the job, or of either half of the shipment.
    provider
        Matrix provider used when the problem has coordinates but no matrices.

    Returns
    -------
    Solution or None
        The solution with the task inserted, checked by :func:`routing.check`; ``None``
        when no position is feasible.
    """
    prep = prepare(problem, provider)
    i = prep.task_of(task)
    pair = [i] if prep.tasks[i].partner is None else sorted([i, prep.tasks[i].partner or 0])
    orders = {
        v: [prep.index[k] for k in _keys(solution, veh.id)]  # type: ignore[index]
        for v, veh in enumerate(problem.vehicles)
    }
    if any(p in order for order in orders.values() for p in pair):
        raise ValueError(f"task {task!r} is already routed")
    reasons = {prep.index[(u.type, u.id)]: u.reason for u in solution.unassigned}
    candidates: list[tuple[float, int, list[int]]] = []
    for v, order in orders.items():
        before = make_route(prep, v, order, None).cost if order else 0
        for trial in _insertions(order, pair, len(problem.vehicles[v].steps)):
            gaps = place_breaks(prep, v, trial)
            if _simulate(prep, v, trial, gaps).late:
                continue
            cost = make_route(prep, v, trial, gaps).cost
            candidates.append((cost - before, v, trial))
    for _, v, trial in sorted(candidates, key=lambda c: (c[0], c[1])):
        candidate = solution_from_orders(prep, {**orders, v: trial}, reasons)
        if not check(problem, candidate, provider):
            return candidate
    return None


def _keys(solution: Solution, vehicle_id: int) -> list[tuple[str, int]]:
    route = solution.route_of(vehicle_id)
    if route is None:
        return []
    return [
        (s.type, s.id)
        for s in route.steps
        if s.type in ("job", "pickup", "delivery") and s.id is not None
    ]


def _insertions(order: list[int], pair: list[int], locked: int) -> list[list[int]]:
    n = len(order)
    if len(pair) == 1:
        return [order[:p] + pair + order[p:] for p in range(locked, n + 1)]
    out = []
    for p in range(locked, n + 1):
        for d in range(p, n + 1):
            out.append(order[:p] + [pair[0]] + order[p:d] + [pair[1]] + order[d:])
    return out
