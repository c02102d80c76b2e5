"""Private: starting routes from VROOM (``pyvroom``), another well-kept open solver.

VROOM expresses what shapes a township day natively: shipments, several windows per stop
(the office's morning and afternoon), a lunch break with a window for its start, skills and
several capacities. At a low exploration level it needs a fraction of its full time. Its
routes are only a start, like PyVRP's: they are checked against every constraint, groups of
them solved again (``routing._subsolve``), and OR-Tools searches on from there.

VROOM's timeout is checked only in its local search, not while it builds each search's first
solution, so the seed runs in a forked child that the solver kills at its deadline.

Tasks are given to VROOM with their task index as id (a pickup and its delivery have
different indices), so its routes name our tasks directly. Problems with locked prefixes get
no seed (VROOM reads ``steps`` as a hint, not as a lock).

VROOM 1.15 never tries pickup -> delivery -> break when a break is still to come and
pickup -> break -> delivery misses the delivery's last window (VROOM-Project/vroom#1345): a
certificate taken from the office to a home booked for the morning is then left out on
every vehicle. When every vehicle's day ends, such a stop gets one more window after the
last of them; no route can use it, so VROOM solves the same problem and tries the order it
would skip.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import select
import signal
import struct
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
import vroom

from routing._prepared import HORIZON, Prepared
from routing.params import SolveParams

logger = logging.getLogger("routing.vroom")

#: VROOM's searches (one per heuristic, in VROOM's order) and ruin depth for the seed. Level 5
#: is 32 searches at depth 5, level 3 is 16 at depth 3. On 24 township days (medium and large)
#: 8 searches at depth 8 took 0.38 of level 5's CPU time for 2.7 % more travel; level 3 took
#: 0.35 of it for 4.0 % more (benchmarks/README.md).
SEARCHES = 8
DEPTH = 8

#: Up to this many stops a seed is worth its time.
MAX_STOPS = 1200


def preferred(prep: Prepared, tasks: list[int]) -> bool:
    """Whether VROOM rather than PyVRP gives the seed: the day has what PyVRP's relaxation
    misses (breaks, or a shipment step with several windows), no locked prefixes, and not
    too many stops. On the textbook instances, which have neither, PyVRP's seed is better."""
    if not 2 <= len(tasks) <= MAX_STOPS or any(v.steps for v in prep.vehicles):
        return False
    lossy = any(v.breaks for v in prep.vehicles) or any(
        len(prep.tasks[i].windows) > 1 for i in tasks if prep.tasks[i].kind != "job"
    )
    return lossy


def seed(
    prep: Prepared,
    tasks: list[int],
    params: SolveParams,
    seconds: float,
    hard: float = 0.0,
    key: Callable[[dict[int, list[int]]], Any] | None = None,
) -> dict[int, list[int]] | None:
    """Vehicle index -> task order from VROOM within ``seconds``, or ``None``.

    VROOM checks its timeout only in its local search; each search's construction runs to
    its end (900 stops: 0.45 s of CPU each, several seconds on a loaded core). So VROOM runs
    in a forked child that is killed ``hard`` seconds after ``seconds`` have passed. The
    child may answer in stages (``stages``); of the answers that came in time the one with
    the lowest ``key`` is taken (default: the last). Not reproducible under load (see
    ``routing.solve._start``); with a ``solution_limit`` it runs in-process to its end.
    """
    if seconds <= 0.01:
        return None
    t0 = time.perf_counter()
    if params.solution_limit is not None or not hasattr(os, "fork"):
        found = _solve(_input(prep, tasks), SEARCHES, DEPTH, None)
        answers = [found] if found is not None else []
    else:
        answers = _in_child(prep, tasks, stages(len(tasks)), t0 + seconds, t0 + seconds + hard)
    if not answers:
        return None
    full = [{v: a.get(v, []) for v in range(len(prep.vehicles))} for a in answers]
    orders = min(full, key=key) if key else full[-1]
    logger.debug(
        "VROOM seed: %d of %d tasks in %.3fs (answer %d of %d)",
        sum(map(len, orders.values())),
        len(tasks),
        time.perf_counter() - t0,
        full.index(orders) + 1,
        len(full),
    )
    return orders


#: From this many stops on, the seed first runs one search to have an answer in time.
STAGED_STOPS = 600


def stages(stops: int) -> list[tuple[int, int, float]]:
    """The child's VROOM runs: (searches, depth, share of the seed's time left).

    Tried and dropped: VROOM's level 5 (32 searches at depth 5) after the seed on days under
    120 stops, the cheaper answer kept. It often is the cheaper start, but a local optimum the
    group re-solve and OR-Tools do not improve on: 13 service townships at 0.5 s came out at
    0.987 of VROOM against 0.950 without it (benchmarks/README.md).
    """
    if stops < STAGED_STOPS:
        return [(SEARCHES, DEPTH, 1.0)]
    return [(1, DEPTH, 0.25), (SEARCHES, DEPTH, 1.0)]


def solve_group(
    prep: Prepared,
    tasks: list[int],
    vehicles: list[int],
    searches: int,
    depth: int,
    seconds: float,
) -> dict[int, list[int]] | None:
    """VROOM's routes for ``tasks`` on ``vehicles`` alone, in-process within ``seconds``
    (a small group's construction takes milliseconds)."""
    return _solve(_input(prep, tasks, vehicles), searches, depth, seconds)


def _input(prep: Prepared, tasks: list[int], vehicles: list[int] | None = None) -> Any:
    """The problem over ``tasks`` (and ``vehicles``, default all) as a pyvroom ``Input``,
    its matrices cut down to the locations these use."""
    fleet = list(range(len(prep.vehicles))) if vehicles is None else vehicles
    used = {prep.tasks[i].loc for i in tasks}
    used |= {x for v in fleet for x in (prep.starts[v], prep.ends[v]) if x is not None}
    locs = sorted(used)
    at = {loc: k for k, loc in enumerate(locs)}
    inp = vroom.Input()
    for profile in sorted({prep.vehicles[v].profile for v in fleet}):
        cut = np.ix_(locs, locs)
        inp.set_durations_matrix(profile, prep.durations[profile][cut])
        inp.set_distances_matrix(profile, prep.distances[profile][cut])
    for v in fleet:
        inp.add_vehicle(_vehicle(vroom, prep, v, at))
    late = _after_every_day(prep)
    wanted = set(tasks)
    for i in tasks:
        task = prep.tasks[i]
        if task.kind == "job":
            inp.add_job(
                vroom.Job(
                    i,
                    vroom.Location(index=at[task.loc]),
                    default_setup=task.setup,
                    default_service=task.service,
                    delivery=vroom.Amount(list(task.delivery)),
                    pickup=vroom.Amount(list(task.pickup)),
                    skills=set(task.skills),
                    priority=min(task.priority, 100),
                    time_windows=_windows(vroom, task.windows, late),
                )
            )
        elif task.kind == "pickup" and task.partner in wanted:
            drop = prep.tasks[task.partner]
            inp.add_shipment(
                vroom.ShipmentStep(
                    i,
                    vroom.Location(index=at[task.loc]),
                    default_setup=task.setup,
                    default_service=task.service,
                    time_windows=_windows(vroom, task.windows, late),
                ),
                vroom.ShipmentStep(
                    task.partner,
                    vroom.Location(index=at[drop.loc]),
                    default_setup=drop.setup,
                    default_service=drop.service,
                    time_windows=_windows(vroom, drop.windows, late),
                ),
                amount=vroom.Amount(list(task.pickup)),
                skills=set(task.skills),
                priority=min(task.priority, 100),
            )
    return inp


def _solve(
    inp: Any, searches: int, depth: int, seconds: float | None
) -> dict[int, list[int]] | None:
    """VROOM's routes as vehicle index -> task order, or ``None`` when it fails."""
    timeout = None if seconds is None else timedelta(seconds=max(0.001, seconds))
    try:
        # pyvroom's public solve() takes a level only; its binding also takes searches and
        # depth (the overload Input.solve forwards to), which is what the seed needs.
        raw = vroom.solution.solution.Solution(
            inp._solve(nb_searches=searches, depth=depth, nb_threads=1, timeout=timeout)
        )
    except (RuntimeError, ValueError) as exc:  # pyvroom raises its C++ errors as these
        logger.warning("VROOM gave no seed: %s", exc)
        return None
    routes = raw.routes
    orders: dict[int, list[int]] = {}
    for vid, kind, tid in zip(routes["vehicle_id"], routes["type"], routes["id"], strict=True):
        if kind in ("job", "pickup", "delivery"):
            orders.setdefault(int(vid), []).append(int(tid))
    return orders


def _in_child(
    prep: Prepared,
    tasks: list[int],
    runs: list[tuple[int, int, float]],
    soft: float,
    hard: float,
) -> list[dict[int, list[int]]]:
    """The answers a forked child sent by ``hard``, one per run of ``runs`` that ended; the
    child is then killed.

    The child runs only VROOM and writes its answers to a pipe: no logging, no locks the
    parent's other threads may hold, ``os._exit`` at the end.
    """
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its answers are what the parent tests see
        code = 1
        try:
            os.close(read)
            for searches, depth, share in runs:
                left = soft - time.perf_counter()
                orders = _solve(_input(prep, tasks), searches, depth, left * share)
                if orders is not None:
                    _send(write, orders)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    try:
        return _receive(read, hard)
    finally:
        os.close(read)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _send(fd: int, orders: dict[int, list[int]]) -> None:
    data = pickle.dumps(orders)
    frame = struct.pack("!Q", len(data)) + data
    while frame:
        frame = frame[os.write(fd, frame) :]


def _receive(fd: int, deadline: float) -> list[dict[int, list[int]]]:
    """The whole answers read from ``fd`` before ``deadline`` or the end of the pipe."""
    buffer = b""
    answers: list[dict[int, list[int]]] = []
    while True:
        left = deadline - time.perf_counter()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            if not answers:
                logger.warning("VROOM gave no seed in time")
            return answers
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return answers
        buffer += chunk
        while len(buffer) >= 8:
            size = struct.unpack("!Q", buffer[:8])[0]
            if len(buffer) < 8 + size:
                break
            answers.append(pickle.loads(buffer[8 : 8 + size]))
            buffer = buffer[8 + size :]


def _vehicle(vroom: Any, prep: Prepared, v: int, at: dict[int, int]) -> Any:
    """Vehicle ``v`` for VROOM, with its index as id and locations renumbered by ``at``."""
    veh = prep.vehicles[v]
    lo, hi = prep.window(v)
    start, end = prep.starts[v], prep.ends[v]
    return vroom.Vehicle(
        v,
        start=None if start is None else vroom.Location(index=at[start]),
        end=None if end is None else vroom.Location(index=at[end]),
        profile=veh.profile,
        capacity=vroom.Amount(list(prep.amount(veh.capacity))),
        skills=set(veh.skills),
        time_window=vroom.TimeWindow(lo, hi),
        breaks=[
            vroom.Break(
                b.id,
                [vroom.TimeWindow(w.start, w.end) for w in b.time_windows]
                or [vroom.TimeWindow(0, HORIZON)],
                service=b.service,
            )
            for b in veh.breaks
        ],
        costs=vroom.VehicleCosts(veh.costs.fixed, veh.costs.per_hour, veh.costs.per_km),
        speed_factor=veh.speed_factor,
        max_tasks=veh.max_tasks,
        max_travel_time=veh.max_travel_time,
        max_distance=veh.max_distance,
    )


def _after_every_day(prep: Prepared) -> tuple[int, int] | None:
    """(a time no vehicle can be anywhere, the last break window's end), or ``None``."""
    ends = [prep.window(v)[1] for v in range(len(prep.vehicles))]
    lunch = [w.end for veh in prep.vehicles for b in veh.breaks for w in b.time_windows]
    if not lunch or max(ends) >= HORIZON:
        return None
    return max(ends) + 1, max(lunch)


def _windows(vroom: Any, windows: list[tuple[int, int]], late: tuple[int, int] | None) -> Any:
    out = [vroom.TimeWindow(a, b) for a, b in windows]
    if late is not None and windows[-1][1] < late[1]:
        out.append(vroom.TimeWindow(late[0], late[0]))
    return out
