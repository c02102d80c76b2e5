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
2. OR-Tools then minimises travel under the accepted cap (a hard span bound per vehicle),
   starting from the capped routes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from routing import _ortools
from routing._construct import construct, travel_cost
from routing._prepared import Prepared
from routing.params import SolveParams
from routing.schedule import day_length, place_breaks

logger = logging.getLogger("routing.balance")

#: The bisection stops when the cap is known to within this many seconds.
RESOLUTION = 300

#: Share of the balancing budget the bisection may use before OR-Tools polishes.
BISECT_SHARE = 0.4


def longest(prep: Prepared, plan: _ortools.Plan) -> int:
    """The plan's longest working day."""
    return max(
        (
            day_length(prep, v, o, plan.gaps.get(v) or place_breaks(prep, v, o))
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
    """A plan with a shorter longest day than ``plan`` serving as much, or ``plan``."""
    coeffs, fixed = costs
    served = weight(plan.orders)
    base_cost = travel_cost(prep, plan.orders, coeffs, fixed)
    per_second = max(1.0, sum(a for a, _ in coeffs) / max(1, len(coeffs)))
    start = longest(prep, plan)
    best, hi, lo = plan, start, start // 2
    t0 = time.perf_counter()
    bisect_until = t0 + (deadline - t0) * BISECT_SHARE
    while hi - lo > RESOLUTION and time.perf_counter() < bisect_until:
        cap = (lo + hi) // 2
        found = None
        # Trimmed from the best routes so far, or built afresh under the cap.
        for seed in (best.orders, None):
            orders, gaps = construct(prep, tasks, coeffs, fixed, deadline, seed, cap)
            extra = travel_cost(prep, orders, coeffs, fixed) - base_cost
            candidate = _ortools.Plan(orders, gaps, extra, "capped")
            day = longest(prep, candidate)
            worth = extra <= params.balance_weight * per_second * (start - day)
            better = found is None or (day, extra) < (longest(prep, found), found.objective)
            if weight(orders) >= served and day <= cap and worth and better:
                found = candidate
        if found is not None:
            best, hi = found, longest(prep, found)
        else:
            lo = cap
    logger.debug("bisection: longest day %d -> %d s in %.2fs", start, hi, time.perf_counter() - t0)
    if best is plan:
        return plan
    left = deadline - time.perf_counter()
    if left > 0.05:
        flat = SolveParams(
            time_limit=left,
            seed=params.seed,
            solution_limit=params.solution_limit,
            log_search=params.log_search,
        )
        polished = _ortools.run(
            prep, tasks, flat, "PARALLEL_CHEAPEST_INSERTION", "gls", left, best.orders, None, hi
        )
        if (
            polished is not None
            and weight(polished.orders) >= served
            and longest(prep, polished) <= hi
            and travel_cost(prep, polished.orders, coeffs, fixed)
            < travel_cost(prep, best.orders, coeffs, fixed)
        ):
            best = polished
        logger.debug("polished: %s, longest day %d s", best is polished, longest(prep, best))
    return best
