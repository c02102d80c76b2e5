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
from dataclasses import dataclass

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

#: Up to this many tasks, unloading gets one pass even when the budget is spent (a few
#: milliseconds per stop of the busiest route; the dispatch service's townships are small).
SMALL = 200

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


@dataclass
class _Balancer:
    """One balancing run: what must stay served, and what extra travel is worth."""

    prep: Prepared
    tasks: list[int]
    params: SolveParams
    weight: Callable[[dict[int, list[int]]], int]
    served: int
    coeffs: list[tuple[int, int]]
    fixed: list[int]

    def cost(self, plan: _ortools.Plan) -> int:
        return travel_cost(self.prep, plan.orders, self.coeffs, self.fixed)

    def build(
        self, seed: dict[int, list[int]] | None, until: float, day_cap: int, work_cap: int
    ) -> _ortools.Plan:
        """Greedy routes from ``seed`` (or afresh) under the caps."""
        orders, gaps = construct(
            self.prep, self.tasks, self.coeffs, self.fixed, until, seed, day_cap, work_cap
        )
        return _ortools.Plan(orders, gaps, 0, "capped")

    def judge(
        self, candidate: _ortools.Plan, measure: Measure, start: int, base_cost: int
    ) -> tuple[int, int] | None:
        """(largest ``measure``, extra travel) if ``candidate`` serves as much and the extra
        travel is worth lowering the largest value from ``start``; else ``None``."""
        if self.weight(candidate.orders) < self.served:
            return None
        value = longest(self.prep, candidate, measure)
        extra = self.cost(candidate) - base_cost
        per_second = max(1.0, sum(a for a, _ in self.coeffs) / max(1, len(self.coeffs)))
        if extra > self.params.balance_weight * per_second * (start - value):
            return None
        return value, extra

    def bisect_days(self, plan: _ortools.Plan, until: float) -> _ortools.Plan:
        """Bisect on a cap on every vehicle's day."""
        start, base_cost = longest(self.prep, plan), self.cost(plan)
        best, hi, lo = plan, start, start // 2
        while hi - lo > RESOLUTION and time.perf_counter() < until:
            cap = (lo + hi) // 2
            found: tuple[int, int, _ortools.Plan] | None = None
            # Trimmed from the best routes so far, or built afresh under the cap.
            for seed in (best.orders, None):
                candidate = self.build(seed, until, cap, HORIZON)
                verdict = self.judge(candidate, day_length, start, base_cost)
                if verdict and verdict[0] <= cap and (found is None or verdict < found[:2]):
                    found = (*verdict, candidate)
            if found is not None:
                hi, best = found[0], found[2]
            else:
                lo = cap
        logger.debug("day cap: %d -> %d s", start, hi)
        return best

    def unload(self, plan: _ortools.Plan, until: float, day_cap: int) -> _ortools.Plan:
        """Move stops off the busiest vehicle (largest working time) while that lowers the
        largest working time, keeps every day within ``day_cap`` and is worth its travel."""
        prep = self.prep
        start, base_cost = longest(prep, plan, work_time), self.cost(plan)
        best, top = plan, start
        # Small problems always get one pass, however late the search before ran.
        free_pass = len(self.tasks) <= SMALL
        while free_pass or time.perf_counter() < until:
            works = {
                v: work_time(prep, v, o, best.gaps.get(v) or place_breaks(prep, v, o))
                for v, o in best.orders.items()
                if o
            }
            if not works:
                break
            busiest = max(works, key=lambda v: works[v])
            found: tuple[int, int, _ortools.Plan] | None = None
            for i in best.orders[busiest]:
                task = prep.tasks[i]
                late = time.perf_counter() > until and not free_pass
                if task.kind == "delivery" or late:
                    continue
                unit = {i} if task.partner is None else {i, task.partner}
                seed = {v: [x for x in o if x not in unit] for v, o in best.orders.items()}
                # construct() stops inserting at its deadline: give the free pass a moment.
                deadline = max(until, time.perf_counter() + 0.5) if free_pass else until
                candidate = self.build(seed, deadline, day_cap, top - 1)
                verdict = self.judge(candidate, work_time, start, base_cost)
                if verdict and verdict[0] < top and (found is None or verdict < found[:2]):
                    found = (*verdict, candidate)
            free_pass = False
            if found is None:
                break
            top, best = found[0], found[2]
        logger.debug("largest working time: %d -> %d s", start, top)
        return best

    def polish(self, best: _ortools.Plan, deadline: float) -> _ortools.Plan:
        """OR-Tools minimises travel under the day cap; kept if no working time grew."""
        left = deadline - time.perf_counter()
        if left <= 0.05:
            return best
        params = self.params
        flat = SolveParams(
            time_limit=left,
            seed=params.seed,
            solution_limit=params.solution_limit,
            stall_per_task=params.stall_per_task,
            log_search=params.log_search,
        )
        cap = longest(self.prep, best)
        polished = _ortools.run(
            self.prep, self.tasks, flat, "PARALLEL_CHEAPEST_INSERTION", "gls", left,
            best.orders, None, cap,
        )  # fmt: skip
        if (
            polished is not None
            and self.weight(polished.orders) >= self.served
            and longest(self.prep, polished) <= cap
            and longest(self.prep, polished, work_time) <= longest(self.prep, best, work_time)
            and self.cost(polished) < self.cost(best)
        ):
            best = polished
        logger.debug("polished: %s, longest day %d s", best is polished, longest(self.prep, best))
        return best


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

    Then, under that day cap, the largest working time (the day less its waiting) is cut:
    when one vehicle's day is fixed by a far or late task, the other work still moves to
    idle agents if the extra travel is worth it.
    """
    run = _Balancer(prep, tasks, params, weight, weight(plan.orders), *costs)
    t0 = time.perf_counter()
    stage_end = t0 + (deadline - t0) * BISECT_SHARE
    best = run.bisect_days(plan, t0 + (stage_end - t0) * DAY_SHARE)
    best = run.unload(best, stage_end, longest(prep, best))
    return plan if best is plan else run.polish(best, deadline)
