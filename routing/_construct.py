"""Private: a greedy insertion that serves whatever fits, the warm start of the search.

OR-Tools' own first-solution heuristics check each insertion with constraint propagation
when a window has a hole (office hours with a lunch closure): on a 24-shipment township day
PARALLEL_CHEAPEST_INSERTION needed 1-2 s and, cut off at 0.5 s, left half the tasks out.
This construction needs milliseconds: each task goes, in turn, to its cheapest place that a
plain forward simulation accepts.

A break is a marker in the route and is taken where it stands, before travelling on. The
real schedule (``schedule._simulate``) may take it on arrival instead, which is never later,
so a route accepted here is also feasible there with the same break gaps.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from routing._prepared import HORIZON, Prepared

#: Matrices up to this size are copied to nested lists for the simulation.
LIST_MATRIX = 600

#: Candidate positions checked per vehicle and task before moving on.
MAX_CHECKS = 40


@dataclass
class _Veh:
    """Per-vehicle constants of the simulation."""

    dur: npt.NDArray[np.int64]
    dist: npt.NDArray[np.int64]
    cost: npt.NDArray[np.int64]  # padded: index -1 is "no location", cost 0
    pdur: npt.NDArray[np.int64]  # durations, padded the same way
    start: int | None
    end: int | None
    lo: int
    hi: int
    cap: tuple[int, ...]
    max_tasks: int
    max_travel: int
    max_dist: int
    fixed: int
    breaks: list[tuple[list[tuple[int, int]], int]]
    skills: frozenset[int]
    locked: int
    max_span: int
    max_work: int


def _fit(windows: Sequence[tuple[int, int]], t: int) -> tuple[int, int]:
    """Earliest start at or after ``t`` and the end of its window (``t`` must fit)."""
    for start, end in windows:
        if t <= end:
            return max(t, start), end
    return t, t


def _first_fit(windows: Sequence[tuple[int, int]], t: int) -> int:
    """Earliest start at or after ``t`` inside a window, or -1."""
    for start, end in windows:
        if t <= end:
            return max(t, start)
    return -1


class Builder:
    """Routes under construction and the insertion moves on them."""

    def __init__(
        self,
        prep: Prepared,
        coeffs: Sequence[tuple[int, int]],
        fixed: Sequence[int],
        max_span: int = HORIZON,
        max_work: int = HORIZON,
    ):
        self.prep = prep
        self.tasks = prep.tasks
        self.max_checks = MAX_CHECKS
        costs: dict[tuple[object, ...], npt.NDArray[np.int64]] = {}
        self.vehs: list[_Veh] = []
        self.routes: list[list[int]] = []
        for v, veh in enumerate(prep.vehicles):
            dur, dist = prep.durations_of(v), prep.distances[veh.profile]
            a, b = coeffs[v]
            key = (veh.profile, veh.speed_factor, a, b)
            if key not in costs:
                m = np.zeros((dur.shape[0] + 1, dur.shape[1] + 1), dtype=np.int64)
                m[:-1, :-1] = a * dur + (b * dist) // 10
                costs[key] = m
            dkey = ("dur", veh.profile, veh.speed_factor)
            if dkey not in costs:
                m = np.zeros((dur.shape[0] + 1, dur.shape[1] + 1), dtype=np.int64)
                m[:-1, :-1] = dur
                costs[dkey] = m
            lo, hi = prep.window(v)
            self.vehs.append(
                _Veh(
                    dur,
                    dist,
                    costs[key],
                    costs[dkey],
                    prep.starts[v],
                    prep.ends[v],
                    lo,
                    hi,
                    tuple(veh.capacity) + (0,) * max(0, prep.dims - len(veh.capacity)),
                    veh.max_tasks if veh.max_tasks is not None else HORIZON,
                    veh.max_travel_time if veh.max_travel_time is not None else HORIZON,
                    veh.max_distance if veh.max_distance is not None else HORIZON,
                    fixed[v],
                    [
                        ([(w.start, w.end) for w in b.time_windows] or [(0, HORIZON)], b.service)
                        for b in veh.breaks
                    ],
                    veh.skills,
                    len(veh.steps),
                    max_span,
                    max_work,
                )
            )
            self.routes.append([prep.task_of(k) for k in veh.steps])
        self.deltas = [list(t.delta) for t in prep.tasks]
        self.last_end = [t.windows[-1][1] for t in prep.tasks]
        self.span = [t.service for t in prep.tasks]
        self.slack: list[npt.NDArray[np.int64]] = [np.zeros(0, dtype=np.int64) for _ in self.vehs]
        self.times: list[npt.NDArray[np.int64]] = [np.zeros(0, dtype=np.int64) for _ in self.vehs]
        small = all(m.shape[0] <= LIST_MATRIX for m in prep.durations.values())
        lists: dict[int, object] = {}

        def fast(m: npt.NDArray[np.int64]) -> Any:
            # Nested lists index several times faster than numpy scalars.
            if not small:
                return m
            return lists.setdefault(id(m), m.tolist())

        self.dur = [fast(veh.dur) for veh in self.vehs]
        self.dist = [fast(veh.dist) for veh in self.vehs]
        self.states: list[list[tuple[int, int | None, int, int, list[int]]]] = [
            [] for _ in self.vehs
        ]
        for v in range(len(self.vehs)):
            self._place_breaks(v)
            self._refresh(v)

    def _place_breaks(self, v: int) -> None:
        """Put each break marker at its first feasible place after the locked prefix."""
        veh = self.vehs[v]
        for b in range(len(veh.breaks)):
            route = self.routes[v]
            first = max([veh.locked, *[k + 1 for k, x in enumerate(route) if x < 0]])
            for pos in range(first, len(route) + 1):
                trial = [*route[:pos], -(b + 1), *route[pos:]]
                if self.feasible(v, trial):
                    self.routes[v] = trial
                    break
            else:
                self.routes[v] = [*route, -(b + 1)]

    def feasible(self, v: int, items: Sequence[int], k0: int = 0) -> bool:
        """Whether vehicle ``v`` can run ``items`` (tasks, and breaks as ``-(b + 1)``).

        ``items[:k0]`` must equal the current route's first ``k0`` items: the simulation
        resumes from the cached state there (only when the start load is unchanged).
        """
        veh, tasks = self.vehs[v], self.tasks
        n = sum(1 for i in items if i >= 0)
        if n > veh.max_tasks:
            return False
        load = [0] * len(veh.cap)
        for i in items:
            if i >= 0 and tasks[i].kind == "job":
                load = [x + y for x, y in zip(load, tasks[i].delivery, strict=True)]
        if any(x > c for x, c in zip(load, veh.cap, strict=True)):
            return False
        cached = self.states[v]
        if k0 > 0 and k0 < len(cached) and cached[0][4] == load:
            t, loc, travel, metres, load = cached[k0]
        else:
            k0 = 0
            t, loc, travel, metres = veh.lo, veh.start, 0, 0
        if not self._run(v, items, k0, t, loc, travel, metres, load, None):
            return False
        if veh.max_span >= HORIZON and veh.max_work >= HORIZON:
            return True
        day, work = self.day_and_work(v, items)
        return day <= veh.max_span and work <= veh.max_work

    def _run(
        self,
        v: int,
        items: Sequence[int],
        k0: int,
        t: int,
        loc: int | None,
        travel: int,
        metres: int,
        load: list[int],
        keep: list[tuple[int, int | None, int, int, list[int]]] | None,
    ) -> bool:
        veh, tasks, deltas = self.vehs[v], self.tasks, self.deltas
        dur, dist = self.dur[v], self.dist[v]
        cap = veh.cap
        for k in range(k0, len(items)):
            if keep is not None:
                keep.append((t, loc, travel, metres, load))
            i = items[k]
            if i < 0:
                windows, service = veh.breaks[-i - 1]
                s = _first_fit(windows, t)
                if s < 0:
                    return False
                t = s + service
                continue
            task = tasks[i]
            nxt = task.loc
            if loc is not None:
                tr = dur[loc][nxt]
                travel += tr
                metres += dist[loc][nxt]
                t += tr
            s = _first_fit(task.windows, t)
            if s < 0:
                return False
            t = s + (task.setup if loc != nxt else 0) + task.service
            loc = nxt
            load = [x + y for x, y in zip(load, deltas[i], strict=True)]
            if any(x > c for x, c in zip(load, cap, strict=True)):
                return False
        if keep is not None:
            keep.append((t, loc, travel, metres, load))
        if loc is not None and veh.end is not None:
            t += dur[loc][veh.end]
            travel += dur[loc][veh.end]
            metres += dist[loc][veh.end]
        return t <= veh.hi and travel <= veh.max_travel and metres <= veh.max_dist

    def day(self, v: int, items: Sequence[int]) -> int:
        """Working day of a feasible ``items``: leaving as late as possible, back at the end."""
        return self.day_and_work(v, items)[0]

    def day_and_work(self, v: int, items: Sequence[int]) -> tuple[int, int]:
        """Working day of a feasible ``items``, and the part of it not spent waiting.

        Leaving later by ``d`` is absorbed by the waiting before each stop as long as every
        stop still starts in the window it starts in now (forward time slack), and does not
        delay the end while ``d`` is at most the total waiting.
        """
        veh, tasks, dur = self.vehs[v], self.tasks, self.dur[v]
        t, loc, wait, slack = veh.lo, veh.start, 0, HORIZON
        for i in items:
            if i < 0:
                arrival, windows, service, setup = t, *veh.breaks[-i - 1], 0
            else:
                task = tasks[i]
                arrival = t + (dur[loc][task.loc] if loc is not None else 0)
                windows, service = task.windows, task.service
                setup = task.setup if loc != task.loc else 0
                loc = task.loc
            start, end = _fit(windows, arrival)
            slack = min(slack, wait + end - arrival)
            wait += start - arrival
            t = start + setup + service
        if loc is not None and veh.end is not None:
            t += dur[loc][veh.end]
        day = t - veh.lo - min(wait, slack)
        return day, t - veh.lo - wait

    def _refresh(self, v: int) -> None:
        """Cache the simulation state before each item of vehicle ``v``'s route."""
        veh, tasks = self.vehs[v], self.tasks
        load = [0] * len(veh.cap)
        for i in self.routes[v]:
            if i >= 0 and tasks[i].kind == "job":
                load = [x + y for x, y in zip(load, tasks[i].delivery, strict=True)]
        keep: list[tuple[int, int | None, int, int, list[int]]] = []
        self._run(v, self.routes[v], 0, veh.lo, veh.start, 0, 0, load, keep)
        self.states[v] = keep
        self._slack(v)

    def _slack(self, v: int) -> None:
        """Upper bound, per position, on the delay the rest of the route can absorb."""
        veh, route, states = self.vehs[v], self.routes[v], self.states[v]
        n = len(route)
        if len(states) != n + 1:
            self.slack[v] = np.full(n + 1, HORIZON, dtype=np.int64)
            self.times[v] = np.zeros(n + 1, dtype=np.int64)
            return
        t_end, loc = states[n][0], states[n][1]
        if loc is not None and veh.end is not None:
            t_end += int(veh.pdur[loc, veh.end])
        ub = [0] * (n + 1)
        ub[n] = veh.hi - t_end
        for k in range(n - 1, -1, -1):
            t, loc = states[k][0], states[k][1]
            i = route[k]
            if i < 0:
                windows = veh.breaks[-i - 1][0]
                arrival, last = t, windows[-1][1]
                start = _first_fit(windows, t)
            else:
                task = self.tasks[i]
                arrival = t + (int(veh.pdur[loc, task.loc]) if loc is not None else 0)
                start, last = _first_fit(task.windows, arrival), self.last_end[i]
            ub[k] = (start - arrival) + min(last - start, ub[k + 1])
        self.slack[v] = np.asarray(ub, dtype=np.int64)
        self.times[v] = np.asarray([st[0] for st in states], dtype=np.int64)

    def _can(
        self, v: int, i: int, prev: npt.NDArray[np.int64], nxt: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.bool_]:
        """Positions where task ``i`` may go: necessary conditions on time only."""
        d, x = self.vehs[v].pdur, self.tasks[i].loc
        reach = self.times[v] + d[prev, x] <= self.last_end[i]
        delay = d[prev, x] + self.span[i] + d[x, nxt] - d[prev, nxt]
        return np.asarray(reach & (delay <= self.slack[v]))

    def _ends(self, v: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], list[int]]:
        """Per insertion position: previous and next location (-1: none), real stops before."""
        veh, route = self.vehs[v], self.routes[v]
        n = len(route)
        prev = np.empty(n + 1, dtype=np.int64)
        nxt = np.empty(n + 1, dtype=np.int64)
        count = [0] * (n + 1)
        last = -1 if veh.start is None else veh.start
        for k in range(n + 1):
            prev[k] = last
            if k < n and route[k] >= 0:
                last = self.tasks[route[k]].loc
                count[k + 1] = count[k] + 1
            elif k < n:
                count[k + 1] = count[k]
        last = -1 if veh.end is None else veh.end
        for k in range(n, -1, -1):
            nxt[k] = last
            if k > 0 and route[k - 1] >= 0:
                last = self.tasks[route[k - 1]].loc
        return prev, nxt, count

    def best(self, v: int, unit: tuple[int, ...], bound: int) -> tuple[int, list[int]] | None:
        """Cheapest feasible insertion of ``unit`` into vehicle ``v`` costing below ``bound``."""
        veh, route = self.vehs[v], self.routes[v]
        prev, nxt, count = self._ends(v)
        c = veh.cost
        first = veh.locked
        extra = veh.fixed if not any(x >= 0 for x in route) else 0
        a = self.tasks[unit[0]].loc
        da = c[prev, a] + c[a, nxt] - c[prev, nxt]
        ok_a = self._can(v, unit[0], prev, nxt)
        ok_a[:first] = False
        if len(unit) == 1:
            da = np.where(ok_a, da, np.iinfo(np.int64).max)
            order = np.argsort(da, kind="stable")[: self.max_checks]
            for k in order.tolist():
                if not ok_a[k]:
                    return None
                cost = int(da[k]) + extra
                if cost >= bound:
                    return None
                trial = [*route[:k], unit[0], *route[k:]]
                if self.feasible(v, trial, 0 if self.tasks[unit[0]].kind == "job" else k):
                    return cost, trial
            return None
        b = self.tasks[unit[1]].loc
        db = c[prev, b] + c[b, nxt] - c[prev, nxt]
        pair = da[:, None] + db[None, :]
        adjacent = c[prev, a] + c[a, b] + c[b, nxt] - c[prev, nxt]
        n = len(route) + 1
        cnt = np.asarray(count)
        # Only breaks between the two places: the pair is adjacent in travel.
        same = cnt[None, :] == cnt[:, None]
        pair = np.where(same, adjacent[:, None], pair)
        # Apart, each half must fit where it goes; together, the pickup's test covers both.
        ok_b = self._can(v, unit[1], prev, nxt)
        valid = np.triu(np.where(same, ok_a[:, None], ok_a[:, None] & ok_b[None, :]))
        pair = np.where(valid, pair, np.iinfo(np.int64).max)
        flat = np.argsort(pair, axis=None, kind="stable")[: self.max_checks]
        for f in flat.tolist():
            k, j = divmod(f, n)
            if not valid[k, j]:
                return None
            cost = int(pair[k, j]) + extra
            if cost >= bound:
                return None
            trial = [*route[:k], unit[0], *route[k:j], unit[1], *route[j:]]
            if self.feasible(v, trial, k):
                return cost, trial
        return None

    def adopt(self, v: int, order: Sequence[int]) -> set[int]:
        """Take ``order`` as vehicle ``v``'s route after its locked prefix, keeping only the
        stops that stay feasible with its breaks; returns the tasks taken."""
        veh, tasks = self.vehs[v], self.tasks
        base = [i for i in self.routes[v] if i >= 0][: veh.locked]
        route = list(base)
        for i in order:
            task = tasks[i]
            if task.kind == "delivery" and task.partner not in route:
                continue
            if self.feasible(v, [*route, i]):
                route.append(i)
            elif task.kind == "delivery" and task.partner not in base:
                route.remove(task.partner)  # type: ignore[arg-type]
        # A pickup whose delivery never came is dropped with it.
        route = [
            i for i in route if tasks[i].kind != "pickup" or tasks[i].partner in route or i in base
        ]
        while (trial := self._with_breaks(v, route)) is None:
            if len(route) <= len(base):
                return set(base)
            last = route[-1]  # a job or a delivery: pickups come before their delivery
            route = [i for i in route if i not in (last, tasks[last].partner)]
        self.routes[v] = trial
        self._refresh(v)
        return {i for i in trial if i >= 0}

    def _with_breaks(self, v: int, route: list[int]) -> list[int] | None:
        """``route`` with each break where the route ends earliest, or ``None``."""
        veh = self.vehs[v]
        out = list(route)
        for b in range(len(veh.breaks)):
            first = max([veh.locked, *[k + 1 for k, x in enumerate(out) if x < 0]])
            best: tuple[int, list[int]] | None = None
            for pos in range(first, len(out) + 1):
                trial = [*out[:pos], -(b + 1), *out[pos:]]
                end = self._end_time(v, trial)
                if end is not None and (best is None or end < best[0]):
                    best = (end, trial)
            if best is None:
                return None
            out = best[1]
        return out if self.feasible(v, out) else None

    def _end_time(self, v: int, items: list[int]) -> int | None:
        """Time the last stop of ``items`` is done, or ``None`` if they cannot be run."""
        if not self.feasible(v, items):
            return None
        veh, tasks = self.vehs[v], self.tasks
        load = [0] * len(veh.cap)
        for i in items:
            if i >= 0 and tasks[i].kind == "job":
                load = [x + y for x, y in zip(load, tasks[i].delivery, strict=True)]
        keep: list[tuple[int, int | None, int, int, list[int]]] = []
        self._run(v, items, 0, veh.lo, veh.start, 0, 0, load, keep)
        return keep[-1][0]

    def result(self) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
        """Vehicle -> task order, and vehicle -> the stop each break comes before."""
        orders: dict[int, list[int]] = {}
        gaps: dict[int, list[int]] = {}
        for v, route in enumerate(self.routes):
            orders[v] = [i for i in route if i >= 0]
            if self.vehs[v].breaks:
                where = {
                    -x - 1: sum(y >= 0 for y in route[:k]) for k, x in enumerate(route) if x < 0
                }
                gaps[v] = [where.get(b, len(orders[v])) for b in range(len(self.vehs[v].breaks))]
        return orders, gaps

    def insert(self, unit: tuple[int, ...], only: int | None = None) -> bool:
        """Insert ``unit`` at its cheapest feasible place; ``False`` if it fits nowhere."""
        skills = self.tasks[unit[0]].skills
        best: tuple[int, int, list[int]] | None = None
        seen: set[tuple[object, ...]] = set()
        for v, veh in enumerate(self.vehs):
            if (only is not None and v != only) or not skills <= veh.skills:
                continue
            if not any(x >= 0 for x in self.routes[v]):
                # Idle twins (same place, window, capacity ...) give the same answer.
                twin: tuple[object, ...] = (id(veh.cost), veh.start, veh.end, veh.lo, veh.hi)
                twin += (veh.cap, veh.fixed, veh.max_tasks, veh.max_travel, veh.max_dist)
                twin += (str(veh.breaks), veh.locked, tuple(sorted(veh.skills)))
                if twin in seen:
                    continue
                seen.add(twin)
            found = self.best(v, unit, best[0] if best else np.iinfo(np.int64).max)
            if found is not None:
                best = (found[0], v, found[1])
        if best is None:
            return False
        self.routes[best[1]] = best[2]
        self._refresh(best[1])
        return True


def construct(
    prep: Prepared,
    tasks: Sequence[int],
    coeffs: Sequence[tuple[int, int]],
    fixed: Sequence[int],
    deadline: float,
    seed: dict[int, list[int]] | None = None,
    max_span: int = HORIZON,
    max_work: int = HORIZON,
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Greedy routes over ``tasks``: (vehicle -> task order, vehicle -> break gaps).

    With a ``seed`` (starting routes from elsewhere), each vehicle first takes the seed's
    stops that stay feasible, in the seed's order; the rest are inserted greedily.
    ``max_span`` caps each vehicle's working day (leaving to coming back), ``max_work`` the
    part of it not spent waiting.
    """
    builder = Builder(prep, coeffs, fixed, max_span, max_work)
    wanted = set(tasks)
    locked = {i for r in builder.routes for i in r if i >= 0}
    for v, order in (seed or {}).items():
        if order:
            builder.adopt(v, [i for i in order if i in wanted and i not in locked])
    routed = {i for r in builder.routes for i in r if i >= 0}
    owner = {i: v for v, r in enumerate(builder.routes) for i in r if i >= 0}
    units: list[tuple[tuple[int, ...], int | None]] = []
    for i in tasks:
        task = prep.tasks[i]
        if i in routed or (task.kind == "delivery" and task.partner in wanted):
            if task.kind == "delivery" and task.partner in owner and i not in routed:
                units.append(((i,), owner[task.partner]))
            continue
        if task.kind == "pickup" and task.partner is not None:
            units.append(((i, task.partner), None))
        else:
            units.append(((i,), None))
    units.sort(key=lambda u: -prep.tasks[u[0][0]].priority)
    for unit, only in units:
        if time.perf_counter() > deadline:
            break
        builder.insert(unit, only)
    return builder.result()


#: Candidate positions the final pass checks per vehicle and task (all of them, in practice).
FILL_CHECKS = 100_000


def fill(
    prep: Prepared,
    tasks: Sequence[int],
    orders: dict[int, list[int]],
    gaps: dict[int, list[int]],
    coeffs: Sequence[tuple[int, int]],
    fixed: Sequence[int],
) -> tuple[dict[int, list[int]], dict[int, list[int]]] | None:
    """The routes with every unserved task of ``tasks`` that still fits inserted, or ``None``
    when none fits.

    The final pass after the search: each route keeps its order; a task (a shipment with
    both halves) goes to its cheapest feasible place, highest priority first, every
    candidate place checked. A route whose breaks cannot be kept where the search put them,
    nor moved, takes nothing.
    """
    builder = Builder(prep, coeffs, fixed)
    builder.max_checks = FILL_CHECKS
    for v in range(len(builder.vehs)):
        order = orders.get(v, [])
        route = _with_markers(order, gaps.get(v), len(builder.vehs[v].breaks))
        if not builder.feasible(v, route):
            route = builder._with_breaks(v, list(order)) or []
            if not route and order:
                # Frozen: the exact schedule keeps the route as it is (see _checked).
                builder.vehs[v].max_tasks = len(order)
                route = _with_markers(order, gaps.get(v), len(builder.vehs[v].breaks))
        builder.routes[v] = route
        builder._refresh(v)
    served = {i for o in orders.values() for i in o}
    units: list[tuple[int, ...]] = []
    for i in tasks:
        partner = prep.tasks[i].partner
        if i not in served and prep.tasks[i].kind != "delivery":
            units.append((i,) if partner is None else (i, partner))
    units.sort(key=lambda u: -prep.tasks[u[0]].priority)
    if not sum(builder.insert(u) for u in units):
        return None
    return builder.result()


def _with_markers(order: Sequence[int], gaps: Sequence[int] | None, breaks: int) -> list[int]:
    """A route with break ``b`` as ``-(b + 1)`` before stop ``gaps[b]`` (default: the end)."""
    at = list(gaps) if gaps is not None else [len(order)] * breaks
    out: list[int] = []
    for k in range(len(order) + 1):
        out += [-(b + 1) for b in range(breaks) if at[b] == k]
        if k < len(order):
            out.append(order[k])
    return out


def travel_cost(
    prep: Prepared,
    orders: dict[int, list[int]],
    coeffs: Sequence[tuple[int, int]],
    fixed: Sequence[int],
) -> int:
    """Arc and fixed costs of the routes, in the search's units."""
    total = 0
    for v, order in orders.items():
        if not order:
            continue
        a, b = coeffs[v]
        dur, dist = prep.durations_of(v), prep.distances[prep.vehicles[v].profile]
        locs = [prep.starts[v], *[prep.tasks[i].loc for i in order], prep.ends[v]]
        pairs = [
            (x, y) for x, y in zip(locs, locs[1:], strict=False) if x is not None and y is not None
        ]
        if pairs:
            xs, ys = np.asarray(pairs).T
            total += int((a * dur[xs, ys] + (b * dist[xs, ys]) // 10).sum())
        total += fixed[v]
    return total
