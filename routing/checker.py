"""An independent feasibility checker.

It shares no code with the solver or with :mod:`routing.schedule`: it recomputes every
arrival, load, window, break and limit from the problem alone (building matrices with the
public :class:`~routing.HaversineProvider` when the problem has coordinates only).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from routing.matrix import HaversineProvider, MatrixProvider
from routing.model import Problem, Vehicle
from routing.solution import Route, Solution

__all__ = ["Violation", "check"]

_TASK_TYPES = ("job", "pickup", "delivery")


@dataclass(frozen=True)
class Violation:
    """One broken rule: a short ``code``, a sentence, and where it happened."""

    code: str
    message: str
    vehicle: int | None = None
    task: tuple[str, int] | None = None


class _Lookup:
    """Task data and travel times, rebuilt from the problem."""

    def __init__(self, problem: Problem, provider: MatrixProvider | None) -> None:
        self.problem = problem
        self.tasks: dict[tuple[str, int], dict[str, Any]] = {}
        points: list[tuple[float, float]] = list(problem.locations or [])
        self._points = points

        for j in problem.jobs:
            self.tasks[("job", j.id)] = dict(
                obj=j,
                loc=self._index(j.location),
                skills=j.skills,
                delivery=j.delivery,
                pickup=j.pickup,
                partner=None,
            )
        for s in problem.shipments:
            for kind, step, other in (
                ("pickup", s.pickup, ("delivery", s.delivery.id)),
                ("delivery", s.delivery, ("pickup", s.pickup.id)),
            ):
                self.tasks[(kind, step.id)] = dict(
                    obj=step,
                    loc=self._index(step.location),
                    skills=s.skills,
                    amount=s.amount,
                    partner=other,
                )
        self.vehicle_locs = {
            v.id: (self._index(v.start), self._index(v.end)) for v in problem.vehicles
        }
        self.durations: dict[str, np.ndarray] = {}
        self.distances: dict[str, np.ndarray] = {}
        for v in problem.vehicles:
            if v.profile in self.durations:
                continue
            if problem.matrices is not None:
                m = problem.matrices[v.profile]
            else:
                m = (provider or HaversineProvider()).matrix(points, v.profile)
            self.durations[v.profile] = m.durations
            self.distances[v.profile] = (
                m.distances if m.distances is not None else np.zeros_like(m.durations)
            )

    def _index(self, loc: Any) -> int | None:
        if loc is None or isinstance(loc, int):
            return loc
        pt = (float(loc[0]), float(loc[1]))
        if pt not in self._points:
            self._points.append(pt)
        return self._points.index(pt)

    def travel(self, v: Vehicle, a: int | None, b: int | None) -> tuple[int, int]:
        if a is None or b is None:
            return 0, 0
        seconds = float(self.durations[v.profile][a, b])
        if v.speed_factor != 1.0:
            seconds = float(np.rint(seconds / v.speed_factor))
        return int(seconds), int(self.distances[v.profile][a, b])


def _in_windows(windows: Any, t: int) -> bool:
    return not windows or any(w.start <= t <= w.end for w in windows)


def _plus(a: tuple[int, ...], b: tuple[int, ...], sign: int = 1) -> tuple[int, ...]:
    n = max(len(a), len(b))
    a, b = a + (0,) * (n - len(a)), b + (0,) * (n - len(b))
    return tuple(x + sign * y for x, y in zip(a, b, strict=True))


def check(
    problem: Problem, solution: Solution, provider: MatrixProvider | None = None
) -> list[Violation]:
    """List every constraint that ``solution`` breaks; an empty list means feasible.

    Parameters
    ----------
    problem
        The problem the solution claims to solve.
    solution
        Routes and unassigned tasks, e.g. from :func:`routing.solve` or
        :func:`routing.evaluate`.
    provider
        Matrix provider for problems with coordinates only (default: haversine).

    Returns
    -------
    list of Violation
        Time windows, working windows, breaks, capacities, skills, pickup/delivery pairing
        and order, ``max_tasks``/``max_travel_time``/``max_distance``, locked prefixes,
        reported arrivals/loads/distances, and that each task is routed once or unassigned.
    """
    look = _Lookup(problem, provider)
    out: list[Violation] = []
    vehicles = {v.id: v for v in problem.vehicles}
    seen: dict[tuple[str, int], int] = {}
    positions: dict[tuple[str, int], tuple[int, int]] = {}
    used: set[int] = set()
    for route in solution.routes:
        v = vehicles.get(route.vehicle)
        if v is None:
            out.append(Violation("unknown_vehicle", f"route of unknown vehicle {route.vehicle}"))
            continue
        if route.vehicle in used:
            out.append(Violation("vehicle_twice", "vehicle has two routes", v.id))
        used.add(route.vehicle)
        out += _check_route(look, v, route, seen, positions)
    out += _check_pairs(look, positions)
    out += _check_coverage(look, solution, seen)
    return out


def _check_route(
    look: _Lookup,
    v: Vehicle,
    route: Route,
    seen: dict[tuple[str, int], int],
    positions: dict[tuple[str, int], tuple[int, int]],
) -> list[Violation]:
    out = list(_timeline(look, v, route))
    tasks: list[tuple[str, int]] = [
        (s.type, s.id or 0) for s in route.steps if s.type in _TASK_TYPES
    ]
    for pos, key in enumerate(tasks):
        if key not in look.tasks:
            out.append(Violation("unknown_task", f"unknown task {key}", v.id))
            continue
        seen[key] = seen.get(key, 0) + 1
        positions[key] = (v.id, pos)
        if not look.tasks[key]["skills"] <= v.skills:
            out.append(Violation("skills", f"{key} needs skills the vehicle lacks", v.id, key))
    if v.max_tasks is not None and len(tasks) > v.max_tasks:
        out.append(Violation("max_tasks", f"{len(tasks)} tasks > max_tasks {v.max_tasks}", v.id))
    out += _check_lock(look, v, tasks)
    out += _check_loads(look, v, route)
    brk_ids = [s.id for s in route.steps if s.type == "break"]
    for b in v.breaks:
        if tasks and brk_ids.count(b.id) != 1:
            out.append(
                Violation("break_missing", f"break {b.id} taken {brk_ids.count(b.id)}x", v.id)
            )
    return out


def _timeline(look: _Lookup, v: Vehicle, route: Route) -> Iterator[Violation]:
    steps = list(route.steps)
    start_loc, end_loc = look.vehicle_locs[v.id]
    tw = v.time_window
    if start_loc is not None and (not steps or steps[0].type != "start"):
        yield Violation("start", "route does not begin with its start step", v.id)
    if end_loc is not None and (not steps or steps[-1].type != "end"):
        yield Violation("end", "route does not finish with its end step", v.id)
    loc: int | None = start_loc
    free = None  # when the vehicle may move on
    dep = 0  # departure from the last stop
    travel_total = dist_total = 0
    pending = 0  # break time since the last stop
    last_break_end = 0
    breaks = {b.id: b for b in v.breaks}
    for s in steps:
        if s.type == "start":
            free = dep = s.arrival
            if tw and not tw.start <= s.arrival <= tw.end:
                yield Violation("vehicle_window", f"start {s.arrival} outside window", v.id)
            continue
        if free is None:
            free = dep = s.arrival if tw is None else max(tw.start, s.arrival)
            if tw and s.arrival < tw.start and s.type != "break":
                yield Violation("vehicle_window", f"first arrival {s.arrival} early", v.id)
        if s.type == "break":
            b = breaks.get(s.id or -1)
            begin = s.arrival + s.waiting_time
            if b is None:
                yield Violation("unknown_break", f"unknown break {s.id}", v.id)
                continue
            if begin < free:
                yield Violation("break_overlap", f"break {b.id} starts at {begin} < {free}", v.id)
            if not _in_windows(b.time_windows, begin):
                yield Violation("break_window", f"break {b.id} starts at {begin}", v.id)
            if s.service != b.service:
                yield Violation("break_service", f"break {b.id} lasts {s.service}", v.id)
            free = max(free, begin + b.service)
            pending += b.service
            last_break_end = max(last_break_end, begin + b.service)
            continue
        key: tuple[str, int] = (s.type, s.id or 0)
        nxt = end_loc if s.type == "end" else look.tasks.get(key, {}).get("loc")
        seconds, metres = look.travel(v, loc, nxt)
        travel_total += seconds
        dist_total += metres
        earliest = max(dep + seconds + pending, last_break_end)
        if s.arrival < earliest:
            yield Violation(
                "arrival",
                f"{key} arrives at {s.arrival} < {earliest}",
                v.id,
                key if s.type != "end" else None,
            )
        if s.duration != travel_total or s.distance != dist_total:
            yield Violation(
                "report",
                f"{key} reports travel {s.duration}/{s.distance}, "
                f"expected {travel_total}/{dist_total}",
                v.id,
            )
        pending = last_break_end = 0
        if s.type == "end":
            if tw and s.arrival > tw.end:
                yield Violation("vehicle_window", f"end {s.arrival} > {tw.end}", v.id)
            free = dep = s.arrival
            continue
        task = look.tasks.get(key)
        if task is None:
            continue
        obj = task["obj"]
        begin = s.arrival + s.waiting_time
        if not _in_windows(obj.time_windows, begin):
            yield Violation("time_window", f"{key} starts at {begin}", v.id, key)
        setup = obj.setup if loc != nxt else 0
        if s.setup != setup or s.service != obj.service:
            yield Violation(
                "report", f"{key} reports setup/service {s.setup}/{s.service}", v.id, key
            )
        free = dep = begin + setup + obj.service
        loc = nxt
        if tw and free > tw.end and end_loc is None and s is steps[-1]:
            yield Violation("vehicle_window", f"last stop ends at {free} > {tw.end}", v.id)
    if v.max_travel_time is not None and travel_total > v.max_travel_time:
        yield Violation("max_travel_time", f"travel {travel_total} > {v.max_travel_time}", v.id)
    if v.max_distance is not None and dist_total > v.max_distance:
        yield Violation("max_distance", f"distance {dist_total} > {v.max_distance}", v.id)


def _check_loads(look: _Lookup, v: Vehicle, route: Route) -> list[Violation]:
    out: list[Violation] = []
    load: tuple[int, ...] = ()
    for s in route.steps:
        task = look.tasks.get((s.type, s.id or 0)) if s.type in _TASK_TYPES else None
        if task and s.type == "job":
            load = _plus(load, task["delivery"])
    for s in route.steps:
        task = look.tasks.get((s.type, s.id or 0)) if s.type in _TASK_TYPES else None
        if task is not None:
            if s.type == "job":
                load = _plus(_plus(load, task["delivery"], -1), task["pickup"])
            else:
                load = _plus(load, task["amount"], 1 if s.type == "pickup" else -1)
        cap = v.capacity + (0,) * max(0, len(load) - len(v.capacity))
        if any(x > c for x, c in zip(load, cap, strict=False)) or any(x < 0 for x in load):
            out.append(
                Violation("capacity", f"load {load} exceeds {v.capacity} at {s.type} {s.id}", v.id)
            )
        if s.load and _plus(s.load, load, -1) != (0,) * max(len(s.load), len(load)):
            out.append(
                Violation("report", f"{s.type} {s.id} reports load {s.load}, expected {load}", v.id)
            )
    return out


def _check_lock(look: _Lookup, v: Vehicle, tasks: list[tuple[str, int]]) -> list[Violation]:
    want: list[tuple[str, int]] = []
    for key in v.steps:
        if isinstance(key, tuple):
            want.append((key[0], key[1]))
        else:
            want += [k for k in look.tasks if k[1] == key][:1]
    if tasks[: len(want)] != want:
        return [
            Violation("locked_prefix", f"route starts {tasks[: len(want)]}, locked {want}", v.id)
        ]
    return []


def _check_pairs(
    look: _Lookup, positions: dict[tuple[str, int], tuple[int, int]]
) -> list[Violation]:
    out = []
    for key, task in look.tasks.items():
        if key[0] != "pickup":
            continue
        a, b = positions.get(key), positions.get(task["partner"])
        if (a is None) != (b is None):
            out.append(Violation("pairing", f"shipment {key} is half routed", task=key))
        elif a and b and (a[0] != b[0] or a[1] > b[1]):
            out.append(Violation("pairing", f"shipment {key} split or out of order", a[0], key))
    return out


def _check_coverage(
    look: _Lookup, solution: Solution, seen: dict[tuple[str, int], int]
) -> list[Violation]:
    out = []
    missing = {(u.type, u.id) for u in solution.unassigned}
    for u in solution.unassigned:
        if (u.type, u.id) not in look.tasks:
            out.append(Violation("unknown_task", f"unassigned unknown task {u.type} {u.id}"))
    for key in look.tasks:
        n = seen.get(key, 0) + (key in missing)
        if n != 1:
            out.append(
                Violation(
                    "coverage",
                    f"{key} routed {seen.get(key, 0)}x, unassigned {int(key in missing)}x",
                    task=key,
                )
            )
    if solution.summary.unassigned != len(solution.unassigned):
        out.append(Violation("report", "summary.unassigned differs from the list"))
    return out
