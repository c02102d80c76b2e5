"""Private: improve routes by solving small groups of neighbouring routes again with VROOM.

VROOM at a high exploration level is strong on a few vehicles and a few dozen shipments and
fast there, but on a whole large day the seed can afford only a few searches. So after the
seed, routes are taken a few at a time: one route and its nearest neighbours (by how close
their stops are), their tasks solved again with VROOM on those vehicles alone. The new routes
replace the old when they serve every task of the group, hold under every constraint here
(windows, breaks, capacities, limits) and cost less. This is the decomposition lever of issue
12, in the POPMUSIC manner: the groups overlap and follow the improvements.
"""

from __future__ import annotations

import logging
import random
import time

import numpy as np

from routing import _vroom
from routing._construct import travel_cost
from routing._prepared import Prepared
from routing.schedule import route_holds

logger = logging.getLogger("routing.subsolve")

#: Routes solved again together.
GROUP = 3
#: VROOM's searches and ruin depth on a group (its level 5 is 32 at depth 5).
SEARCHES = 16
DEPTH = 8
#: VROOM's timeout on a group at the least.
GROUP_SECONDS = 0.02


def improve(
    prep: Prepared,
    orders: dict[int, list[int]],
    costs: tuple[list[tuple[int, int]], list[int]],
    deadline: float,
    seed: int = 0,
) -> dict[int, list[int]]:
    """``orders`` with groups of neighbouring routes solved again until ``deadline``.

    Each route leads a group in turn (in an order drawn from ``seed``); a round in which no
    group improved ends the work early.
    """
    coeffs, fixed = costs
    orders = {v: list(o) for v, o in orders.items()}
    rng = random.Random(seed)
    vehicles = list(range(len(prep.vehicles)))
    size = min(GROUP, len(vehicles))
    if size < 2:
        return orders
    gained = 0
    tried: set[frozenset[tuple[int, tuple[int, ...]]]] = set()
    while time.perf_counter() < deadline:
        leads = vehicles[:]
        rng.shuffle(leads)
        better = False
        for lead in leads:
            left = deadline - time.perf_counter()
            if left <= 0.01:
                break
            group = _neighbours(prep, orders, lead, size)
            key = frozenset((v, tuple(orders.get(v, []))) for v in group)
            if key in tried:
                continue
            tried.add(key)
            # A share of what is left, so that every route can lead a group in time.
            seconds = min(left, max(GROUP_SECONDS, left / len(vehicles)))
            new = _resolve(prep, orders, group, seconds)
            if new is None:
                continue
            old = {v: orders.get(v, []) for v in group}
            delta = travel_cost(prep, old, coeffs, fixed) - travel_cost(prep, new, coeffs, fixed)
            if delta > 0:
                orders.update(new)
                gained += delta
                better = True
        if not better:
            break
    logger.debug("groups solved again: %d tried, cost %d lower", len(tried), gained)
    return orders


def _neighbours(prep: Prepared, orders: dict[int, list[int]], lead: int, size: int) -> list[int]:
    """``lead`` and the ``size - 1`` vehicles whose places are nearest to its places."""
    dist = prep.distances[prep.vehicles[lead].profile]
    mine = _places(prep, orders, lead)
    near = []
    for v in range(len(prep.vehicles)):
        if v != lead:
            # Mean over the lead's places of the distance to the other route's nearest place.
            near.append((float(dist[np.ix_(mine, _places(prep, orders, v))].min(1).mean()), v))
    return [lead, *(v for _, v in sorted(near)[: size - 1])]


def _places(prep: Prepared, orders: dict[int, list[int]], v: int) -> list[int]:
    ends = [x for x in (prep.starts[v], prep.ends[v]) if x is not None]
    return [prep.tasks[i].loc for i in orders.get(v, [])] + ends or [0]


def _resolve(
    prep: Prepared, orders: dict[int, list[int]], group: list[int], seconds: float
) -> dict[int, list[int]] | None:
    """The group's tasks solved again on its vehicles, or ``None`` unless all hold."""
    tasks = [i for v in group for i in orders.get(v, [])]
    if not tasks:
        return None
    found = _vroom.solve_group(prep, tasks, group, SEARCHES, DEPTH, seconds)
    if found is None or sum(map(len, found.values())) != len(tasks):
        return None
    new = {v: found.get(v, []) for v in group}
    if any(route_holds(prep, v, o) is None for v, o in new.items() if o):
        return None
    return new
