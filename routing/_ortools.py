"""Private: the OR-Tools RoutingModel behind :func:`routing.solve`.

Nothing from OR-Tools leaves this module: it takes a prepared problem and returns, per
vehicle index, the order of task indices and, per break, the stop it comes before.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing._prepared import HORIZON, Prepared
from routing.params import SolveParams

logger = logging.getLogger("routing.ortools")

#: The shortest stall window (``SolveParams.stall_per_task``), in seconds.
STALL_MIN_S = 0.05
#: A hint is searched from only when the time left is this many times the model's build.
READ_FACTOR = 3.0
FSS = routing_enums_pb2.FirstSolutionStrategy
LSM = routing_enums_pb2.LocalSearchMetaheuristic


@dataclass
class Plan:
    """Result of one search: task orders, break gaps and the objective."""

    orders: dict[int, list[int]]
    gaps: dict[int, list[int]]
    objective: int
    strategy: str = ""


@dataclass
class _Model:
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    tasks: list[int]
    time_dim: pywrapcp.RoutingDimension
    breaks: dict[int, list[pywrapcp.IntervalVar]] = field(default_factory=dict)
    locks: list[list[int]] = field(default_factory=list)


def _node_locs(prep: Prepared, tasks: list[int]) -> tuple[np.ndarray, list[int], list[int]]:
    """Location per node; vehicles share one depot node per place (copies hurt the search)."""
    locs = [prep.tasks[i].loc for i in tasks]
    depot: dict[int, int] = {}

    def node(loc: int | None) -> int:
        key = -1 if loc is None else loc
        if key not in depot:
            depot[key] = len(locs)
            locs.append(key)
        return depot[key]

    starts = [node(loc) for loc in prep.starts]
    ends = [node(loc) for loc in prep.ends]
    return np.asarray(locs, dtype=np.int64), starts, ends


def _lift(matrix: np.ndarray, locs: np.ndarray) -> np.ndarray:
    """Node-to-node matrix; a missing start or end costs nothing to reach or leave."""
    safe = np.where(locs < 0, 0, locs)
    out = matrix[np.ix_(safe, safe)].astype(np.int64)
    out[locs < 0, :] = 0
    out[:, locs < 0] = 0
    return np.asarray(out, dtype=np.int64)


def _cost_scale(prep: Prepared) -> tuple[list[tuple[int, int]], int]:
    """Integer per-second and per-metre arc cost coefficients per vehicle (cost x 36000 / g)."""
    raw = [(c.costs.per_hour * 10, c.costs.per_km * 36) for c in prep.vehicles]
    g = reduce(math.gcd, [x for pair in raw for x in pair if x], 0) or 1
    return [(a // g, b // g) for a, b in raw], g


def build(
    prep: Prepared, tasks: list[int], params: SolveParams, span_bound: int | None = None
) -> _Model:
    """Build the RoutingModel over the given task indices (``span_bound`` caps each day)."""
    nv = len(prep.vehicles)
    n = len(tasks)
    locs, starts, ends = _node_locs(prep, tasks)
    manager = pywrapcp.RoutingIndexManager(len(locs), nv, starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    node_of = [manager.NodeToIndex(k) for k in range(n)]
    visit = np.zeros(len(locs), dtype=np.int64)
    for k, i in enumerate(tasks):
        visit[k] = prep.tasks[i].setup + prep.tasks[i].service

    coeffs, g = _cost_scale(prep)
    cache: dict[tuple[object, ...], int] = {}
    lifted: dict[tuple[object, ...], np.ndarray] = {}

    def lift(kind: str, v: int) -> np.ndarray:
        veh = prep.vehicles[v]
        key = (kind, veh.profile, veh.speed_factor if kind != "dist" else 1.0)
        if key not in lifted:
            base = prep.distances[veh.profile] if kind == "dist" else prep.durations_of(v)
            lifted[key] = _lift(base, locs)
        return lifted[key]

    def register(key: tuple[object, ...], make: object) -> int:
        if key not in cache:
            mat = make()  # type: ignore[operator]
            cache[key] = routing.RegisterTransitMatrix(mat.tolist())
        return cache[key]

    time_cbs, travel_cbs, dist_cbs = [], [], []
    for v, veh in enumerate(prep.vehicles):
        sk = (veh.profile, veh.speed_factor)
        time_cbs.append(register(("time", *sk), lambda v=v: lift("dur", v) + visit[:, None]))
        travel_cbs.append(register(("travel", *sk), lambda v=v: lift("dur", v)))
        dist_cbs.append(register(("dist", veh.profile), lambda v=v: lift("dist", v)))
        a, b = coeffs[v]
        cost_cb = register(
            ("cost", *sk, a, b),
            lambda v=v, a=a, b=b: a * lift("dur", v) + (b * lift("dist", v)) // 10,
        )
        routing.SetArcCostEvaluatorOfVehicle(cost_cb, v)
        if veh.costs.fixed:
            routing.SetFixedCostOfVehicle(round(veh.costs.fixed * 36000 / g), v)

    routing.AddDimensionWithVehicleTransits(time_cbs, HORIZON, HORIZON, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for v in range(nv):
        lo, hi = prep.window(v)
        for idx in (routing.Start(v), routing.End(v)):
            time_dim.CumulVar(idx).SetRange(lo, hi)
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(v)))
    for k, i in enumerate(tasks):
        _set_windows(time_dim.CumulVar(node_of[k]), prep.tasks[i].windows)

    _limits(prep, routing, travel_cbs, dist_cbs, len(locs), n)
    _capacities(prep, routing, tasks, len(locs) - n)
    model = _Model(manager, routing, tasks, time_dim)
    _breaks(prep, model, visit)
    _tasks(prep, model, node_of, params)
    if span_bound is not None:
        for v in range(nv):
            time_dim.SetSpanUpperBoundForVehicle(span_bound, v)
    return model


def _set_windows(var: pywrapcp.IntVar, windows: list[tuple[int, int]]) -> None:
    var.SetRange(windows[0][0], windows[-1][1])
    for (_, e1), (s2, _) in zip(windows, windows[1:], strict=False):
        if s2 - 1 >= e1 + 1:
            var.RemoveInterval(e1 + 1, s2 - 1)


def _limits(
    prep: Prepared,
    routing: pywrapcp.RoutingModel,
    travel_cbs: list[int],
    dist_cbs: list[int],
    nodes: int,
    n: int,
) -> None:
    vehicles = prep.vehicles
    if any(v.max_travel_time is not None for v in vehicles):
        caps = [v.max_travel_time if v.max_travel_time is not None else HORIZON for v in vehicles]
        routing.AddDimensionWithVehicleTransitAndCapacity(travel_cbs, 0, caps, True, "travel")
    if any(v.max_distance is not None for v in vehicles):
        caps = [v.max_distance if v.max_distance is not None else HORIZON for v in vehicles]
        routing.AddDimensionWithVehicleTransitAndCapacity(dist_cbs, 0, caps, True, "distance")
    if any(v.max_tasks is not None for v in vehicles):
        ones = [1] * n + [0] * (nodes - n)
        cb = routing.RegisterUnaryTransitVector(ones)
        caps = [v.max_tasks if v.max_tasks is not None else n + 1 for v in vehicles]
        routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, "tasks")


def _capacities(
    prep: Prepared,
    routing: pywrapcp.RoutingModel,
    tasks: list[int],
    depots: int,
) -> None:
    """One dimension per capacity; jobs' deliveries are loaded at the start."""
    nv = len(prep.vehicles)
    pad = [0] * depots
    for d in range(prep.dims):
        caps = [prep.vehicles[v].capacity[d] for v in range(nv)]
        ts = [prep.tasks[i] for i in tasks]
        delivered = [t.delivery[d] if t.kind == "job" else 0 for t in ts]
        moved = [t.delta[d] + delivered[k] for k, t in enumerate(ts)]
        if not any(delivered):
            cb = routing.RegisterUnaryTransitVector(moved + pad)
            routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load{d}")
            continue
        if not any(moved):
            cb = routing.RegisterUnaryTransitVector(delivered + pad)
            routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load{d}")
            continue
        # Mixed: the start load is free but must equal what the route delivers.
        load = routing.RegisterUnaryTransitVector(
            [m - x for m, x in zip(moved, delivered, strict=True)] + pad
        )
        routing.AddDimensionWithVehicleCapacity(load, 0, caps, False, f"load{d}")
        out = routing.RegisterUnaryTransitVector(delivered + pad)
        routing.AddDimensionWithVehicleCapacity(out, 0, caps, True, f"out{d}")
        ld, od = routing.GetDimensionOrDie(f"load{d}"), routing.GetDimensionOrDie(f"out{d}")
        for v in range(nv):
            routing.solver().Add(ld.CumulVar(routing.Start(v)) == od.CumulVar(routing.End(v)))


def _breaks(prep: Prepared, model: _Model, visit: np.ndarray) -> None:
    routing = model.routing
    solver = routing.solver()
    transits: list[int] | None = None
    for v, veh in enumerate(prep.vehicles):
        if not veh.breaks:
            continue
        if transits is None:
            transits = [int(visit[model.manager.IndexToNode(i)]) for i in range(routing.Size())]
        intervals = []
        for b in veh.breaks:
            windows = [(w.start, w.end) for w in b.time_windows] or [(0, HORIZON)]
            start = solver.IntVar(windows[0][0], windows[-1][1], f"break{v}_{b.id}")
            _set_windows(start, windows)
            intervals.append(solver.FixedDurationIntervalVar(start, b.service, f"b{v}_{b.id}"))
        model.time_dim.SetBreakIntervalsOfVehicle(intervals, v, transits)
        model.breaks[v] = intervals


def _tasks(prep: Prepared, model: _Model, node_of: list[int], params: SolveParams) -> None:
    """Disjunctions, skills, pickup-and-delivery pairs and locked prefixes."""
    routing, solver, time_dim = model.routing, model.routing.solver(), model.time_dim
    pos = {i: k for k, i in enumerate(model.tasks)}
    locked: dict[int, int] = {}
    model.locks = [[] for _ in prep.vehicles]
    for v, veh in enumerate(prep.vehicles):
        prev = routing.Start(v)
        for key in veh.steps:
            idx = node_of[pos[prep.task_of(key)]]
            solver.Add(routing.NextVar(prev) == idx)
            model.locks[v].append(idx)
            locked[idx] = v
            prev = idx
    big = _big_penalty(prep, model, params)
    n = len(model.tasks)
    for k, i in enumerate(model.tasks):
        task, idx = prep.tasks[i], node_of[k]
        allowed = [v for v, veh in enumerate(prep.vehicles) if task.skills <= veh.skills]
        if idx in locked:
            routing.VehicleVar(idx).SetValue(locked[idx])
        elif len(allowed) < len(prep.vehicles):
            # SetAllowedVehiclesForIndex's absl::Span binding is broken in the 9.15 wheel.
            routing.VehicleVar(idx).SetValues([-1, *allowed])
        partner_locked = task.partner is not None and node_of[pos[task.partner]] in locked
        if idx not in locked and not partner_locked:
            weight = 1 + task.priority * (n + 1)
            routing.AddDisjunction([idx], big * weight // (2 if task.partner is not None else 1))
        if task.kind == "pickup" and task.partner is not None:
            d = node_of[pos[task.partner]]
            routing.AddPickupAndDelivery(idx, d)
            solver.Add(routing.VehicleVar(idx) == routing.VehicleVar(d))
            solver.Add(routing.ActiveVar(idx) == routing.ActiveVar(d))
            solver.Add(time_dim.CumulVar(idx) <= time_dim.CumulVar(d))


def _big_penalty(prep: Prepared, model: _Model, params: SolveParams) -> int:
    coeffs, g = _cost_scale(prep)
    worst = 1
    for v, veh in enumerate(prep.vehicles):
        a, b = coeffs[v]
        arc = (
            a * int(prep.durations_of(v).max(initial=0))
            + b * int(prep.distances[veh.profile].max(initial=0)) // 10
        )
        worst = max(worst, 2 * arc + round(veh.costs.fixed * 36000 / g))
    big = 4 * worst + 1
    top = 1 + 100 * (len(model.tasks) + 1)
    return max(1, min(big, (1 << 61) // max(1, top * max(1, len(model.tasks)))))


def search_parameters(
    params: SolveParams, time_limit: float, strategy: int, metaheuristic: str
) -> pywrapcp.DefaultRoutingSearchParameters:
    """OR-Tools search parameters for one run."""
    sp = pywrapcp.DefaultRoutingSearchParameters()
    sp.first_solution_strategy = strategy
    if metaheuristic == "gls":
        sp.local_search_metaheuristic = LSM.GUIDED_LOCAL_SEARCH
    elif metaheuristic in ("ils", "sisr"):
        sp.use_iterated_local_search = True
        sp.local_search_metaheuristic = LSM.GREEDY_DESCENT
        if metaheuristic == "sisr":
            rr = sp.iterated_local_search_parameters.ruin_recreate_parameters
            del rr.ruin_strategies[:]
            ruin = rr.ruin_strategies.add()
            ruin.sisr.max_removed_sequence_size = 10
            ruin.sisr.avg_num_removed_visits = 10
            ruin.sisr.bypass_factor = 0.01
            rr.recreate_strategy.heuristic = FSS.LOCAL_CHEAPEST_INSERTION
    else:
        sp.local_search_metaheuristic = LSM.GREEDY_DESCENT
    sp.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
    if params.solution_limit is not None:
        sp.solution_limit = params.solution_limit
    sp.log_search = params.log_search
    return sp


def extract(prep: Prepared, model: _Model, assignment: pywrapcp.Assignment) -> Plan:
    """Read orders, break gaps and the objective from an assignment."""
    routing, manager = model.routing, model.manager
    orders: dict[int, list[int]] = {}
    gaps: dict[int, list[int]] = {}
    for v in range(len(prep.vehicles)):
        idx = assignment.Value(routing.NextVar(routing.Start(v)))
        order, cumuls = [], []
        while not routing.IsEnd(idx):
            order.append(model.tasks[manager.IndexToNode(idx)])
            cumuls.append(assignment.Min(model.time_dim.CumulVar(idx)))
            idx = assignment.Value(routing.NextVar(idx))
        orders[v] = order
        if v in model.breaks:
            starts = [assignment.StartValue(b) for b in model.breaks[v]]
            gaps[v] = [sum(c <= s for c in cumuls) for s in starts]
    return Plan(orders, gaps, assignment.ObjectiveValue())


def _first(
    prep: Prepared,
    model: _Model,
    sp: pywrapcp.DefaultRoutingSearchParameters,
    seconds: float,
    prefer: Callable[[dict[int, list[int]]], bool] | None,
) -> pywrapcp.Assignment | None:
    """The strategy's first solution within ``seconds``, if ``prefer`` takes it."""
    if prefer is None or seconds <= 0:
        return None
    first = pywrapcp.DefaultRoutingSearchParameters()
    first.CopyFrom(sp)
    first.solution_limit = 1
    first.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    if any(model.locks):
        model.routing.ApplyLocksToAllVehicles(model.locks, False)
    found = model.routing.SolveWithParameters(first)
    if found is None:
        return None
    taken = prefer(extract(prep, model, found).orders)
    logger.debug("first solution %d, taken: %s", found.ObjectiveValue(), taken)
    return found if taken else None


def _search_from(
    model: _Model,
    start: pywrapcp.Assignment,
    sp: pywrapcp.DefaultRoutingSearchParameters,
    deadline: float,
    window: float | None,
) -> pywrapcp.Assignment | None:
    """Search on from ``start`` until ``deadline``.

    With a ``window``, search in windows of that length, each from the last one's best,
    and stop after a window that found nothing better than where it started. (OR-Tools
    has no stall limit: its improvement limit is checked only at new solutions, and a
    Python limit would be called on every move.)
    """
    routing = model.routing
    found: list[int] = []  # objectives of the solutions of the current window
    routing.AddEnterSearchCallback(found.clear)
    routing.AddAtSolutionCallback(lambda: found.append(routing.CostVar().Value()))
    best = None
    while True:
        left = deadline - time.perf_counter()
        span = left if window is None else min(left, window)
        sp.time_limit.FromMilliseconds(max(1, int(span * 1000)))
        assignment = routing.SolveFromAssignmentWithParameters(start, sp)
        if assignment is None:
            return best
        best = start = assignment
        improved = len(found) > 1 and min(found[1:]) < found[0]
        if window is None or not improved or deadline - time.perf_counter() < 0.001:
            return best


def run(
    prep: Prepared,
    tasks: list[int],
    params: SolveParams,
    strategy: str,
    metaheuristic: str,
    time_limit: float,
    hint: dict[int, list[int]] | None = None,
    prefer: Callable[[dict[int, list[int]]], bool] | None = None,
    span_bound: int | None = None,
) -> Plan | None:
    """Build a model, search it, and return the best plan found (``None`` if none).

    With a ``hint`` and ``prefer``, the first ``params.first_solution_time`` of the budget
    goes to ``strategy``'s first solution; the search starts from it when ``prefer`` says
    it beats the hint, else from the hint.
    """
    t0 = time.perf_counter()
    model = build(prep, tasks, params, span_bound)
    routing = model.routing
    # The budget covers building the model too.
    built = time.perf_counter() - t0
    if hint is not None and time_limit - built < READ_FACTOR * built:
        # Reading a hint takes about twice the build (900 stops: 1.1 s of CPU against
        # 0.5 s) and is not time-limited: with less left, the start stands as it is.
        logger.debug("no time left to search from the hint (%.2fs to build)", built)
        return None
    left = max(0.01, time_limit - built)
    sp = search_parameters(params, left, getattr(FSS, strategy), metaheuristic)
    routing.CloseModelWithParameters(sp)
    assignment = None
    if hint is not None:
        start = _first(prep, model, sp, left * params.first_solution_time, prefer)
        if start is None:
            pos = {i: k for k, i in enumerate(tasks)}
            routes = [
                [model.manager.NodeToIndex(pos[i]) for i in hint.get(v, []) if i in pos]
                for v in range(len(prep.vehicles))
            ]
            start = routing.ReadAssignmentFromRoutes(routes, True)
        if start is not None:
            window = max(STALL_MIN_S, params.stall_per_task * len(tasks))
            assignment = _search_from(
                model, start, sp, t0 + time_limit, window if params.stall_per_task else None
            )
        logger.debug("hint %s, solved from it: %s", start is not None, assignment is not None)
    left = t0 + time_limit - time.perf_counter()
    if assignment is None and (hint is None or left > 0.01):
        # After a hint that failed, only what is left of the budget (not all of it again).
        sp.time_limit.FromMilliseconds(max(1, int(left * 1000)))
        if any(model.locks):
            routing.ApplyLocksToAllVehicles(model.locks, False)
        assignment = routing.SolveWithParameters(sp)
    if assignment is None:
        logger.warning(
            "%s/%s found no solution (status %s)", strategy, metaheuristic, routing.status()
        )
        return None
    plan = extract(prep, model, assignment)
    plan.strategy = f"{strategy}/{metaheuristic}"
    logger.debug(
        "%s objective %d in %.2fs", plan.strategy, plan.objective, time.perf_counter() - t0
    )
    return plan
