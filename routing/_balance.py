"""Private: shorten the longest working day (balancing), after the cost search.

VROOM minimises the total cost only, and its users keep asking for balanced days. A span
cost in OR-Tools (global span or a soft bound per vehicle) moved the longest day by a few
per cent at most in 5 s (benchmarks/README.md). This phase works on the longest day
directly, as a min-max problem:

1. bisect on a cap ``B`` on every vehicle's day (leaving the start to coming back): the
   greedy construction keeps each route's stops that fit under ``B``, in order, and
   re-inserts the others where they fit; a cap is accepted when every task stays served
   and the extra travel is worth the shorter day (``balance_weight`` seconds of travel per
   second of the longest day);
2. the same on the working time (the day less its waiting) under that day cap: when one
   day is fixed by a far or late task (the car's county run), the rest of the work still
   moves to idle agents when that is worth its travel;
3. OR-Tools then minimises travel under the accepted day cap (a hard span bound per
   vehicle), starting from the capped routes; its answer is kept only if no working time
   grew beyond the cap found in 2.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from routing import _ortools
from routing._construct import construct, travel_cost
from routing._prepared import HORIZON, Prepared
from routing.params import SolveParams
from routing.schedule import day_length, place_breaks, work_time

logger = logging.getLogger("routing.balance")

#: The bisection stops when the cap is known to within this many seconds.
RESOLUTION = 300

#: Share of the balancing budget the bisections may use before OR-Tools polishes.
BISECT_SHARE = 0.7

#: Share of the bisections' time for the day cap (the rest unloads the busiest vehicle).
DAY_SHARE = 0.7

#: A per-route figure: (prepared problem, vehicle, order, break gaps) -> seconds.
Measure = Callable[[Prepared, int, list[int], list[int]], int]


def longest(prep: Prepared, plan: _ortools.Plan, measure: Measure | None = None) -> int:
    """The plan's longest working day (or the largest of another per-route ``measure``)."""
    measure = measure or day_length
    return max(
        (
            measure(prep, v, o, plan.gaps.get(v) or place_breaks(prep, v, o))
            for v, o in plan.orders.items()
            if o
        ),
        default=0,
    )


def balance(
    prep: Prepared,
    tasks: list[int],
    plan: _ortools.Plan,
    params: SolveParams,
    deadline: float,
    weight: Callable[[dict[int, list[int]]], int],
    costs: tuple[list[tuple[int, int]], list[int]],
) -> _ortools.Plan:
    """A plan with a shorter longest day than ``plan`` serving as much, or ``plan``.

    Then, under that day cap, the largest working time (the day less its waiting) is cut
    the same way: when one vehicle's day is fixed by a far or late task, the other work
    still moves to idle agents if the extra travel is worth it.
    """
    t0 = time.perf_counter()
    stage_end = t0 + (deadline - t0) * BISECT_SHARE
    served = weight(plan.orders)
    keep = (weight, served)
    day_cap = longest(prep, plan)
    day_end = t0 + (stage_end - t0) * DAY_SHARE
    best = _bisect(prep, tasks, plan, params, day_end, keep, costs, "day", day_cap)
    day_cap = longest(prep, best)
    best = _unload(prep, tasks, best, params, stage_end, keep, costs, day_cap)
    logger.debug("bisection: %.2fs", time.perf_counter() - t0)
    if best is plan:
        return plan
    coeffs, fixed = costs
    left = deadline - time.perf_counter()
    if left > 0.05:
        flat = SolveParams(
            time_limit=left,
            seed=params.seed,
            solution_limit=params.solution_limit,
            log_search=params.log_search,
        )
        cap = longest(prep, best)
        polished = _ortools.run(
            prep, tasks, flat, "PARALLEL_CHEAPEST_INSERTION", "gls", left, best.orders, None, cap
        )
        if (
            polished is not None
            and weight(polished.orders) >= served
            and longest(prep, polished) <= cap
            and longest(prep, polished, work_time) <= longest(prep, best, work_time)
            and travel_cost(prep, polished.orders, coeffs, fixed)
            < travel_cost(prep, best.orders, coeffs, fixed)
        ):
            best = polished
        logger.debug("polished: %s, longest day %d s", best is polished, longest(prep, best))
    return best


def _unload(
    prep: Prepared,
    tasks: list[int],
    plan: _ortools.Plan,
    params: SolveParams,
    until: float,
    served: tuple[Callable[[dict[int, list[int]]], int], int],
    costs: tuple[list[tuple[int, int]], list[int]],
    day_cap: int,
) -> _ortools.Plan:
    """Move stops off the busiest vehicle (largest working time) while that lowers the
    largest working time, keeps every day within ``day_cap`` and is worth its travel."""
    coeffs, fixed = costs
    base_cost = travel_cost(prep, plan.orders, coeffs, fixed)
    per_second = max(1.0, sum(a for a, _ in coeffs) / max(1, len(coeffs)))
    start = longest(prep, plan, work_time)
    best, top = plan, start
    while time.perf_counter() < until:
        works = {
            v: work_time(prep, v, o, best.gaps.get(v) or place_breaks(prep, v, o))
            for v, o in best.orders.items()
            if o
        }
        busiest = max(works, key=lambda v: works[v])
        found: tuple[int, int, _ortools.Plan] | None = None
        for i in best.orders[busiest]:
            task = prep.tasks[i]
            if task.kind == "delivery" or time.perf_counter() > until:
                continue
            unit = {i} if task.partner is None else {i, task.partner}
            seed = {v: [x for x in o if x not in unit] for v, o in best.orders.items()}
            orders, gaps = construct(prep, tasks, coeffs, fixed, until, seed, day_cap, top - 1)
            candidate = _ortools.Plan(orders, gaps, 0, "unloaded")
            value = longest(prep, candidate, work_time)
            extra = travel_cost(prep, orders, coeffs, fixed) - base_cost
            worth = extra <= params.balance_weight * per_second * (start - value)
            ok = served[0](orders) >= served[1] and value < top and worth
            if ok and (found is None or (value, extra) < found[:2]):
                found = (value, extra, candidate)
        if found is None:
            break
        top, best = found[0], found[2]
    logger.debug("largest working time: %d -> %d s", start, top)
    return best


def _bisect(
    prep: Prepared,
    tasks: list[int],
    plan: _ortools.Plan,
    params: SolveParams,
    until: float,
    served: tuple[Callable[[dict[int, list[int]]], int], int],
    costs: tuple[list[tuple[int, int]], list[int]],
    what: str,
    day_cap: int,
) -> _ortools.Plan:
    """Bisect on a cap on ``what`` for every vehicle (only "day" is used), days within
    ``day_cap``; accept a cap when every task stays served and the extra travel is worth
    it (``balance_weight`` seconds of travel per second off the largest value)."""
    coeffs, fixed = costs
    measure: Measure = day_length if what == "day" else work_time
    base_cost = travel_cost(prep, plan.orders, coeffs, fixed)
    per_second = max(1.0, sum(a for a, _ in coeffs) / max(1, len(coeffs)))
    start = longest(prep, plan, measure)
    best, hi, lo = plan, start, start // 2
    while hi - lo > RESOLUTION and time.perf_counter() < until:
        cap = (lo + hi) // 2
        caps = (cap, HORIZON) if what == "day" else (day_cap, cap)
        found: tuple[int, int, _ortools.Plan] | None = None
        # Trimmed from the best routes so far, or built afresh under the cap.
        for seed in (best.orders, None):
            orders, gaps = construct(prep, tasks, coeffs, fixed, until, seed, *caps)
            candidate = _ortools.Plan(orders, gaps, 0, f"{what} cap")
            value = longest(prep, candidate, measure)
            extra = travel_cost(prep, orders, coeffs, fixed) - base_cost
            worth = extra <= params.balance_weight * per_second * (start - value)
            ok = served[0](orders) >= served[1] and value <= cap
            ok = ok and longest(prep, candidate) <= day_cap
            if ok and worth and (found is None or (value, extra) < found[:2]):
                found = (value, extra, candidate)
        if found is not None:
            hi, best = found[0], found[2]
        else:
            lo = cap
    logger.debug("%s cap: %d -> %d s", what, start, hi)
    return best
