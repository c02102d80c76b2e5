"""Private: starting routes from PyVRP (a well-kept open solver; 0.14 runs an iterated
local search).

OR-Tools' local search does not get within a few per cent of the best-known solutions in a
few seconds (benchmarks/README.md); PyVRP does. It cannot express everything this package
honours, so it solves a *relaxation* and its routes are only a start: the greedy
construction re-checks every stop against the real constraints, inserts what was left out,
and OR-Tools searches on from there under every constraint.

The relaxation:

* a job with several time windows becomes a group of mutually exclusive clients, one per
  window; a shipment step keeps the hull of its windows;
* setup is added to service (never optimistic);
* skills become a routing profile per vehicle kind in which the stops it may not serve are
  out of reach;
* a break's time comes off the end of the vehicle's shift; ``max_tasks`` and
  ``max_travel_time`` are left out, and locked prefixes are not expressible (problems with
  them get no seed);
* every client is required: PyVRP searches much better so, and the caller seeds only
  problems whose greedy start already serves every task.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyvrp
from pyvrp.stop import (
    MaxIterations,
    MaxRuntime,
    MultipleCriteria,
    NoImprovement,
    StoppingCriterion,
)

from routing._prepared import HORIZON, Prepared
from routing.params import SolveParams

logger = logging.getLogger("routing.pyvrp")

#: Travel time and distance to a stop a vehicle kind may not serve.
OUT_OF_REACH = 1 << 40

#: PyVRP iterations per unit of ``solution_limit`` (a deterministic stop).
ITERATIONS_PER_SOLUTION = 40

#: PyVRP stops after this many iterations without improvement, per task and at least.
STALL_PER_TASK = 200
STALL_MIN = 500

#: PyVRP's first solution (a random one, searched exhaustively) cannot be interrupted: it
#: takes about 3 s at 500 stops and 30 s at 2,000, so larger problems get no seed.
MAX_STOPS = 1000


@dataclass(frozen=True)
class _Kind:
    """What makes two vehicles interchangeable for PyVRP."""

    start: int
    end: int
    window: tuple[int, int]
    capacity: tuple[int, ...]
    profile: int
    fixed: int
    unit_duration: int
    unit_distance: int
    max_distance: int


def eligible(prep: Prepared, tasks: list[int]) -> bool:
    """Whether a seed can help: no locked prefixes, and between a handful and MAX_STOPS stops.

    The caller also asks that a greedy construction serve every task first: PyVRP's clients
    are required (its search is much better so), and repairing an over-full relaxation
    served fewer tasks than OR-Tools' own prize-collecting search (324 against 382 of 500
    stops on an over-full pickup-and-delivery day).
    """
    return 4 <= len(tasks) <= MAX_STOPS and not any(v.steps for v in prep.vehicles)


def seed(
    prep: Prepared,
    tasks: list[int],
    coeffs: list[tuple[int, int]],
    fixed: list[int],
    params: SolveParams,
    seconds: float,
) -> dict[int, list[int]] | None:
    """Vehicle index -> task order from PyVRP within ``seconds``, or ``None``."""
    t0 = time.perf_counter()
    wanted = set(tasks)
    ids = [i for i in tasks if prep.tasks[i].kind != "delivery"]
    if not ids:
        return None
    nv = len(prep.vehicles)

    # PyVRP locations: one free "anywhere" point, the vehicles' places, then one per stop.
    places = sorted({x for x in (*prep.starts, *prep.ends) if x is not None})
    matrix_loc: list[int] = [-1]  # PyVRP location -> our matrix location (-1: anywhere)
    depot_at = {-1: 0}
    for p in places:
        depot_at[p] = len(matrix_loc)
        matrix_loc.append(p)
    ndepots = len(matrix_loc)
    stop_of = [-1] * ndepots  # PyVRP location -> task index (-1 for depots)
    clients: list[pyvrp.Client] = []
    client_task: list[int] = []
    groups: list[pyvrp.ClientGroup] = []
    shipments: list[pyvrp.Shipment] = []
    shipment_task: list[int] = []
    n = len(prep.tasks)
    arc_max = _max_arc(prep, coeffs)
    prize_unit = 4 * arc_max + max(fixed, default=0) + 1
    depot_lo = min(prep.window(v)[0] for v in range(nv))
    depot_hi = max(min(prep.window(v)[1], HORIZON) for v in range(nv))

    def loc_of(i: int) -> int:
        stop_of.append(i)
        matrix_loc.append(prep.tasks[i].loc)
        return len(matrix_loc) - 1

    for i in ids:
        task = prep.tasks[i]
        prize = prize_unit * (1 + task.priority * (n + 1))
        service = task.setup + task.service
        if task.kind == "job":
            where = loc_of(i)
            members = []
            for lo, hi in task.windows:
                members.append(len(clients))
                clients.append(
                    pyvrp.Client(
                        where,
                        delivery=list(task.delivery),
                        pickup=list(task.pickup),
                        service_duration=service,
                        tw_early=lo,
                        tw_late=min(hi, HORIZON),
                        prize=prize,
                        required=len(task.windows) == 1,
                        group=len(groups) if len(task.windows) > 1 else None,
                    )
                )
                client_task.append(i)
            if len(task.windows) > 1:
                groups.append(pyvrp.ClientGroup(members, required=True))
        else:
            d = task.partner
            if d is None or d not in wanted:
                continue
            drop = prep.tasks[d]
            shipments.append(
                pyvrp.Shipment(
                    loc_of(i),
                    loc_of(d),
                    pickup_tw_early=task.windows[0][0],
                    pickup_tw_late=min(task.windows[-1][1], HORIZON),
                    pickup_service_duration=service,
                    delivery_tw_early=drop.windows[0][0],
                    delivery_tw_late=min(drop.windows[-1][1], HORIZON),
                    delivery_service_duration=drop.setup + drop.service,
                    amount=list(task.pickup),
                    prize=prize,
                    required=True,
                )
            )
            shipment_task.append(i)
    if not clients and not shipments:
        return None

    locs = np.asarray(matrix_loc, dtype=np.int64)
    kinds: dict[_Kind, list[int]] = {}
    profiles: dict[tuple[object, ...], int] = {}
    dists: list[Any] = []  # PyVRP's stubs want ndarray[int]
    durs: list[Any] = []
    for v, veh in enumerate(prep.vehicles):
        a, b = coeffs[v]
        # Without a distance limit, PyVRP's "distance" is our arc cost (its duration cost
        # would also charge waiting and service); with one, it must stay the distance.
        limited = veh.max_distance is not None
        key = (veh.profile, veh.speed_factor, veh.skills, limited, a, b)
        if key not in profiles:
            banned = np.asarray(
                [i >= 0 and not prep.tasks[i].skills <= veh.skills for i in stop_of], dtype=bool
            )
            profiles[key] = len(durs)
            dur, dist = prep.durations_of(v), prep.distances[veh.profile]
            durs.append(_lift(dur, locs, banned))
            dists.append(_lift(dist if limited else a * dur + (b * dist) // 10, locs, banned))
        lo, hi = prep.window(v)
        # Breaks are not expressible: their time comes off the end of the shift.
        hi = min(hi, HORIZON) - sum(b.service for b in veh.breaks)
        kind = _Kind(
            depot_at[_or_anywhere(prep.starts[v])],
            depot_at[_or_anywhere(prep.ends[v])],
            (lo, min(hi, HORIZON)),
            tuple(veh.capacity) + (0,) * max(0, prep.dims - len(veh.capacity)),
            profiles[key],
            fixed[v],
            10 * a if limited else 0,
            b if limited else 1,
            veh.max_distance if limited else np.iinfo(np.int64).max,  # type: ignore[arg-type]
        )
        kinds.setdefault(kind, []).append(v)
    types = [
        pyvrp.VehicleType(
            len(vs),
            capacity=list(k.capacity),
            start_depot=k.start,
            end_depot=k.end,
            fixed_cost=k.fixed,
            tw_early=k.window[0],
            tw_late=k.window[1],
            max_distance=k.max_distance,
            unit_distance_cost=k.unit_distance,
            unit_duration_cost=k.unit_duration,
            profile=k.profile,
        )
        for k, vs in kinds.items()
    ]
    data = pyvrp.ProblemData(
        [pyvrp.Location(0, 0) for _ in matrix_loc],
        clients,
        [pyvrp.Depot(d, tw_early=depot_lo, tw_late=depot_hi) for d in range(ndepots)],
        types,
        dists,
        durs,
        groups,
        shipments,
    )
    left = seconds - (time.perf_counter() - t0)
    if left <= 0.05:
        return None
    # Small problems converge long before the budget: the rest is OR-Tools' to use.
    stops: list[StoppingCriterion] = [
        MaxRuntime(left),
        NoImprovement(max(STALL_MIN, STALL_PER_TASK * len(ids))),
    ]
    if params.solution_limit is not None:
        stops.append(MaxIterations(ITERATIONS_PER_SOLUTION * params.solution_limit))
    stop = MultipleCriteria(stops)
    result = pyvrp.solve(data, stop, seed=params.seed, collect_stats=False, display=False)
    best = result.best
    pool = {t: list(vs) for t, vs in enumerate(kinds.values())}
    orders: dict[int, list[int]] = {v: [] for v in range(nv)}
    for route in best.routes():  # an infeasible route is repaired by the construction
        v = pool[route.vehicle_type()].pop(0)
        order: list[int] = []
        for act in route.schedule():
            if act.is_depot():
                continue
            if act.is_shipment():
                i = shipment_task[act.idx]
                partner = prep.tasks[i].partner
                assert partner is not None
                order.append(i if act.is_pickup() else partner)
            else:
                order.append(client_task[act.idx])
        orders[v] = order
    # An infeasible best may visit a job in two of its windows: keep the first visit.
    seen: set[int] = set()
    for v, order in orders.items():
        orders[v] = [i for i in order if not (i in seen or seen.add(i))]  # type: ignore[func-returns-value]
    logger.debug(
        "PyVRP: %d of %d tasks, cost %d, %d iterations in %.2fs",
        sum(map(len, orders.values())),
        len(tasks),
        best.distance_cost() + best.duration_cost(),
        result.num_iterations,
        time.perf_counter() - t0,
    )
    return orders


def _or_anywhere(loc: int | None) -> int:
    return -1 if loc is None else loc


def _max_arc(prep: Prepared, coeffs: list[tuple[int, int]]) -> int:
    worst = 1
    for v, veh in enumerate(prep.vehicles):
        a, b = coeffs[v]
        arc = 10 * a * int(prep.durations_of(v).max(initial=0)) + b * int(
            prep.distances[veh.profile].max(initial=0)
        )
        worst = max(worst, arc)
    return worst


def _lift(
    matrix: npt.NDArray[np.int64], locs: npt.NDArray[np.int64], banned: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    """PyVRP's matrix: "anywhere" is free to reach and leave, banned stops are out of reach."""
    safe = np.where(locs < 0, 0, locs)
    out = matrix[np.ix_(safe, safe)].astype(np.int64)
    out[locs < 0, :] = 0
    out[:, locs < 0] = 0
    out[:, banned] = OUT_OF_REACH
    out[banned, :] = OUT_OF_REACH
    np.fill_diagonal(out, 0)
    return np.asarray(out, dtype=np.int64)
