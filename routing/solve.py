"""The entry point :func:`solve`: pre-checks, the OR-Tools search, and a checked result."""

from __future__ import annotations

import logging
import random
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from functools import partial
from multiprocessing import get_context

from routing import _balance, _ortools, _pyvrp, _subsolve, _vroom
from routing._construct import construct, fill, travel_cost
from routing._prepared import Prepared, prepare
from routing.checker import check
from routing.matrix import MatrixProvider
from routing.model import Problem
from routing.params import SolveParams
from routing.schedule import _simulate, place_breaks, route_holds, solution_from_orders
from routing.solution import Solution

__all__ = ["solve"]

logger = logging.getLogger("routing.solve")

#: (first solution strategy, metaheuristic) tried in this order; see benchmarks/README.md.
PORTFOLIO: tuple[tuple[str, str], ...] = (
    ("PARALLEL_CHEAPEST_INSERTION", "gls"),
    ("LOCAL_CHEAPEST_INSERTION", "gls"),
    ("SAVINGS", "gls"),
    ("PATH_CHEAPEST_ARC", "gls"),
)


def solve(
    problem: Problem,
    params: SolveParams | None = None,
    provider: MatrixProvider | None = None,
) -> Solution:
    """Route the problem's tasks onto its vehicles.

    Parameters
    ----------
    problem
        Vehicles, jobs, shipments and matrices (or coordinates).
    params
        Time limit, threads, seed, balance weight, solution limit.
    provider
        Builds matrices when the problem has coordinates only (default: haversine).

    Returns
    -------
    Solution
        Always feasible (checked by :func:`routing.check`); a task that cannot be served is
        in ``unassigned`` with a reason code.

    Raises
    ------
    ValueError
        When a locked prefix (``Vehicle.steps``) is itself infeasible.
    """
    params = params or SolveParams()
    t0 = time.perf_counter()
    prep = prepare(problem, provider)
    reasons = precheck(prep)
    locked = {prep.task_of(k) for veh in problem.vehicles for k in veh.steps}
    locked |= {prep.tasks[i].partner for i in locked if prep.tasks[i].partner is not None}  # type: ignore[misc]
    tasks = [i for i in range(len(prep.tasks)) if i not in reasons or i in locked]
    for i in locked:
        reasons.pop(i, None)
    if params.seed:
        random.Random(params.seed).shuffle(tasks)
    loading = time.perf_counter() - t0
    # The final pass and the check come after the search (900 stops: about 0.3 s).
    budget = (params.time_limit - loading) * (1 - CHECK_SHARE)
    plan = _search(prep, tasks, params, max(0.05, budget))
    if plan is None:
        if locked:
            raise ValueError("vehicles[].steps: the locked prefixes cannot be satisfied")
        plan = _ortools.Plan({}, {}, 0)
    plan = _final_pass(prep, tasks, plan)
    solving = time.perf_counter() - t0 - loading
    served = {i for order in plan.orders.values() for i in order}
    top = max((prep.tasks[i].priority for i in served), default=0)
    for i in tasks:
        if i not in served:
            reasons[i] = "priority_dropped" if prep.tasks[i].priority < top else "not_fitting"
    times = {"loading": round(loading * 1000), "solving": round(solving * 1000), "routing": 0}
    return _checked(problem, prep, plan, reasons, times, provider)


def _final_pass(prep: Prepared, tasks: list[int], plan: _ortools.Plan) -> _ortools.Plan:
    """Insert every unserved task that still fits, so that a reason left is a true one."""
    served = sum(map(len, plan.orders.values()))
    if served == len(tasks):
        return plan
    coeffs, fixed = _costs(prep)
    filled = fill(prep, tasks, plan.orders, plan.gaps, coeffs, fixed)
    if filled is None:
        return plan
    logger.debug("final pass: %d more tasks", sum(map(len, filled[0].values())) - served)
    return _ortools.Plan(*filled, plan.objective, plan.strategy + "+fill")


def _search(
    prep: Prepared, tasks: list[int], params: SolveParams, budget: float
) -> _ortools.Plan | None:
    if not tasks:
        return _ortools.Plan({}, {}, 0)
    if params.threads > 1:
        return _portfolio(prep, tasks, params, budget)
    t0 = time.perf_counter()
    deadline = t0 + budget
    # Balancing is a phase of its own after the cost search (routing/_balance.py).
    balancing = params.balance_weight > 0
    cost_budget = budget * (1 - BALANCE_SHARE) if balancing else budget
    coeffs, fixed = _costs(prep)

    def key(orders: dict[int, list[int]]) -> tuple[int, int]:
        return (-_weight(prep, orders), travel_cost(prep, orders, coeffs, fixed))

    warm, greedy, seeded = _start(prep, tasks, params, t0, cost_budget)
    logger.debug(
        "%s start: %d of %d tasks in %.3fs",
        warm.strategy,
        sum(map(len, warm.orders.values())),
        len(tasks),
        time.perf_counter() - t0,
    )
    # Parallel cheapest insertion is quadratic in the tasks: too slow a start beyond ~500.
    first = PORTFOLIO[0] if len(tasks) <= LARGE else PORTFOLIO[1]
    left = t0 + cost_budget - time.perf_counter()

    def prefer(orders: dict[int, list[int]]) -> bool:
        return key(orders) <= key(warm.orders)

    # A seeded start is not raced: OR-Tools' first solution would only cost search time.
    plan = _ortools.run(
        prep,
        tasks,
        params,
        *first,
        left * 0.999,
        hint=warm.orders,
        prefer=None if seeded else prefer,
    )
    # Keep a start when the search served fewer tasks or, from a seed, cost more.
    keep_start = plan is None or _weight(prep, plan.orders) < _weight(prep, warm.orders)
    if not keep_start and seeded:
        keep_start = key(warm.orders) < key(plan.orders)  # type: ignore[union-attr]
    if keep_start:
        plan = warm
    if seeded and greedy and key(greedy.orders) < key(plan.orders):  # type: ignore[union-attr]
        plan = greedy
    if balancing and plan is not None:
        weight = partial(_weight, prep)
        plan = _balance.balance(prep, tasks, plan, params, deadline, weight, (coeffs, fixed))
    if plan is None:  # no first solution: fall back on other strategies
        for strategy, meta in PORTFOLIO[1:]:
            left = deadline - time.perf_counter()
            if left <= 0.01:
                break
            plan = _ortools.run(prep, tasks, params, strategy, meta, left)
            if plan is not None:
                break
    return plan


def _start(
    prep: Prepared, tasks: list[int], params: SolveParams, t0: float, cost_budget: float
) -> tuple[_ortools.Plan, _ortools.Plan | None, bool]:
    """The search's starting routes, the plain greedy ones if made, and whether seeded.

    VROOM seeds the days PyVRP's relaxation gets wrong (``_vroom.preferred``) unless the run
    has a solution limit; its routes are taken as they are when they hold. PyVRP seeds the
    others when the greedy start serves every task; a seed that does not hold goes through
    the greedy repair.
    """
    coeffs, fixed = _costs(prep)
    warm_by = t0 + cost_budget * WARM_SHARE
    # VROOM 1.15 starts its searches as threads, one at a time in no fixed order, and skips
    # a search whose first solution scores like an earlier one's: under load its routes can
    # differ from run to run. So a run that must be reproducible (a solution limit) is not
    # seeded by it.
    if params.seed_share > 0 and params.solution_limit is None and _vroom.preferred(prep, tasks):
        left = cost_budget * params.seed_share - (time.perf_counter() - t0)
        seed = _vroom.seed(
            prep,
            tasks,
            params,
            left,
            cost_budget * SEED_GRACE,
            lambda o: (-_weight(prep, o), travel_cost(prep, o, coeffs, fixed)),
        )
        if seed:
            until = t0 + cost_budget * IMPROVE_SHARE
            seed = _subsolve.improve(prep, seed, (coeffs, fixed), until, params.seed)
        exact = _as_is(prep, tasks, seed) if seed else None
        if exact:
            return exact, None, True
        greedy = _warm_start(prep, tasks, warm_by)
        return (_warm_start(prep, tasks, warm_by, seed) if seed else greedy), greedy, bool(seed)
    greedy = _warm_start(prep, tasks, warm_by)
    everything = _weight(prep, greedy.orders) == _weight(prep, {0: tasks})
    if params.seed_share > 0 and everything and _pyvrp.eligible(prep, tasks):
        left = cost_budget * params.seed_share - (time.perf_counter() - t0)
        seed = _pyvrp.seed(prep, tasks, coeffs, fixed, params, left)
        if seed:
            # Even when the repair left a few tasks out, the search starts from the seed.
            return _warm_start(prep, tasks, warm_by, seed), greedy, True
    return greedy, greedy, False


def _as_is(prep: Prepared, tasks: list[int], orders: dict[int, list[int]]) -> _ortools.Plan | None:
    """VROOM's routes as they are, each break where it fits best, with the final pass; or
    ``None`` when a route misses a window or a capacity (the greedy repair then takes them).

    The greedy repair takes a break only where it stands, before travelling on; VROOM's
    routes may need it on arrival, so the repair lost tasks VROOM had served.
    """
    gaps: dict[int, list[int]] = {}
    for v, order in orders.items():
        if not order:
            continue
        held = route_holds(prep, v, order)
        if held is None:
            logger.debug("VROOM's route for vehicle %d does not hold", v)
            return None
        gaps[v] = held
    return _final_pass(prep, tasks, _ortools.Plan(orders, gaps, 0, "vroom"))


#: Share of the budget the greedy warm start may use at most.
WARM_SHARE = 0.8

#: Share of the budget kept for the final pass and the check.
CHECK_SHARE = 0.02

#: Share of the budget by which groups of VROOM's routes are solved again (``_subsolve``).
IMPROVE_SHARE = 0.85

#: Share of the budget a VROOM seed may run past its own share before it is stopped.
SEED_GRACE = 0.15

#: Share of the budget kept for balancing when ``balance_weight`` is set.
BALANCE_SHARE = 0.4


def _costs(prep: Prepared) -> tuple[list[tuple[int, int]], list[int]]:
    """Arc cost coefficients and fixed costs per vehicle, in the search's units."""
    coeffs, g = _ortools._cost_scale(prep)
    return coeffs, [round(v.costs.fixed * 36000 / g) for v in prep.vehicles]


def _warm_start(
    prep: Prepared, tasks: list[int], deadline: float, seed: dict[int, list[int]] | None = None
) -> _ortools.Plan:
    coeffs, fixed = _costs(prep)
    orders, gaps = construct(prep, tasks, coeffs, fixed, deadline, seed)
    return _ortools.Plan(orders, gaps, 0, "seeded" if seed else "greedy")


def _weight(prep: Prepared, orders: dict[int, list[int]]) -> int:
    """Served tasks weighted as in the disjunction penalties (priority first)."""
    n = len(prep.tasks)
    return sum(1 + prep.tasks[i].priority * (n + 1) for o in orders.values() for i in o)


#: Above this many tasks the search starts from local cheapest insertion.
LARGE = 500

_SHARED: dict[str, tuple[Prepared, list[int], SolveParams]] = {}


def _worker(k: int, budget: float) -> _ortools.Plan | None:
    prep, tasks, params = _SHARED["job"]
    if k == 0:  # the single-thread path: greedy or PyVRP start, search, balancing
        return _search(prep, tasks, replace(params, threads=1), budget)
    strategy, meta = PORTFOLIO[(k - 1) % len(PORTFOLIO)]
    return _ortools.run(prep, tasks, params, strategy, meta, budget)


def _portfolio(
    prep: Prepared, tasks: list[int], params: SolveParams, budget: float
) -> _ortools.Plan | None:
    """The single-thread path and other first-solution strategies in forked processes;
    the plan serving most wins, then the cheapest (with balancing: the shortest longest day).
    """
    _SHARED["job"] = (prep, tasks, params)
    n = min(params.threads, len(PORTFOLIO) + 1)
    with ProcessPoolExecutor(n, mp_context=get_context("fork")) as pool:
        futures = [pool.submit(_worker, k, budget * 0.97) for k in range(n)]
        plans = [f.result() for f in futures]
    coeffs, fixed = _costs(prep)

    def key(p: _ortools.Plan) -> tuple[int, int]:
        second = (
            _balance.longest(prep, p)
            if params.balance_weight > 0
            else travel_cost(prep, p.orders, coeffs, fixed)
        )
        return (-_weight(prep, p.orders), second)

    found = [p for p in plans if p is not None]
    return min(found, key=key) if found else None


def _checked(
    problem: Problem,
    prep: Prepared,
    plan: _ortools.Plan,
    reasons: dict[int, str],
    times: dict[str, int],
    provider: MatrixProvider | None,
) -> Solution:
    """Time the plan, check it, and drop stops from a broken route until it passes."""
    orders = {v: list(o) for v, o in plan.orders.items() if o}
    gaps = {v: g for v, g in plan.gaps.items() if v in orders}
    for v, order in orders.items():
        if v in gaps and _simulate(prep, v, order, gaps[v]).late:
            gaps[v] = place_breaks(prep, v, order)
    while True:
        solution = solution_from_orders(prep, orders, reasons, gaps, times)
        bad = check(problem, solution, provider)
        if not bad:
            return solution
        logger.warning("repairing %d violations, first: %s", len(bad), bad[0].message)
        ids = {veh.id: v for v, veh in enumerate(problem.vehicles)}
        broken = {ids[x.vehicle] for x in bad if x.vehicle in ids}
        if not broken:
            raise RuntimeError(f"solution fails its check: {bad[0].message}")
        for v in broken:
            _drop_last(prep, orders, v, len(problem.vehicles[v].steps), reasons)
            gaps.pop(v, None)


def _drop_last(
    prep: Prepared, orders: dict[int, list[int]], v: int, locked: int, reasons: dict[int, str]
) -> None:
    order = orders[v]
    if len(order) <= locked:
        raise ValueError(f"vehicles[{v}].steps: the locked prefix is infeasible")
    i = order[-1]
    drop = {i, prep.tasks[i].partner}
    orders[v] = [x for x in order if x not in drop]
    for x in drop:
        if x is not None:
            reasons[x] = "not_fitting"


def precheck(prep: Prepared) -> dict[int, str]:
    """Reasons for tasks that no vehicle could serve even alone."""
    reasons: dict[int, str] = {}
    cache: dict[tuple[object, ...], str | None] = {}
    for i, task in enumerate(prep.tasks):
        if task.kind == "delivery":
            continue
        group = [i] if task.partner is None else [i, task.partner]
        vehicles = [v for v, veh in enumerate(prep.vehicles) if task.skills <= veh.skills]
        reason = "no_vehicle_with_skills" if not vehicles else None
        if vehicles:
            failures = [_alone(prep, v, group, cache) for v in vehicles]
            if all(failures):
                order = [
                    "capacity",
                    "max_tasks",
                    "time_window_unreachable",
                    "max_travel_time",
                    "max_distance",
                ]
                reason = min(failures, key=lambda f: order.index(f or "capacity"))
        if reason:
            for j in group:
                reasons[j] = reason
    return reasons


def _alone(
    prep: Prepared, v: int, group: list[int], cache: dict[tuple[object, ...], str | None]
) -> str | None:
    """Why vehicle ``v`` cannot serve ``group`` on its own, or ``None`` if it can."""
    veh = prep.vehicles[v]
    key = (
        tuple(group),
        veh.profile,
        veh.speed_factor,
        prep.starts[v],
        prep.ends[v],
        veh.time_window,
        veh.breaks,
        veh.capacity,
        veh.max_tasks,
        veh.max_travel_time,
        veh.max_distance,
    )
    if key in cache:
        return cache[key]
    task = prep.tasks[group[0]]
    need = [max(a, b) for a, b in zip(task.delivery, task.pickup, strict=True)]
    reason: str | None = None
    if any(x > c for x, c in zip(need, veh.capacity, strict=False)):
        reason = "capacity"
    elif veh.max_tasks is not None and veh.max_tasks < len(group):
        reason = "max_tasks"
    else:
        tl = _simulate(prep, v, group, place_breaks(prep, v, group))
        if tl.late:
            reason = "time_window_unreachable"
        elif (
            veh.max_travel_time is not None
            and tl.steps
            and tl.steps[-1].duration > (veh.max_travel_time)
        ):
            reason = "max_travel_time"
        elif (
            veh.max_distance is not None and tl.steps and tl.steps[-1].distance > (veh.max_distance)
        ):
            reason = "max_distance"
    cache[key] = reason
    return reason
