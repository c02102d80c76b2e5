"""Shared helpers of the routing benchmarks: instances, BKS, and running VROOM on a Problem."""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import math
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from routing import (
    Job,
    Matrix,
    Problem,
    Shipment,
    ShipmentStep,
    Solution,
    TimeWindow,
    Vehicle,
    check,
    evaluate,
    problem_to_vroom,
)

ROOT = Path(__file__).resolve().parents[1]
#: Solomon and Li & Lim instances with their best-known solutions (see data/README.md).
BENCH = Path(__file__).resolve().parent / "data"
DIVISIONS = ROOT / "dispatch" / "data" / "jieyang"
RESULTS = Path(__file__).resolve().parent / "results"
#: Coordinates are multiplied by this to get integer matrices (distances stay exact enough).
SCALE = 1000


@dataclass
class Instance:
    """A Solomon or Li & Lim instance as a routing Problem, with the exact distances."""

    name: str
    family: str
    kind: str  # "solomon" or "lilim"
    problem: Problem
    exact: np.ndarray  # double-precision Euclidean distances between nodes


def _euclid(xy: np.ndarray) -> np.ndarray:
    d = xy[:, None, :] - xy[None, :, :]
    return np.sqrt((d**2).sum(axis=2))


def _matrix(exact: np.ndarray) -> Matrix:
    # Ceil keeps every schedule feasible under the double-precision convention.
    scaled = np.ceil(exact * SCALE - 1e-6)
    return Matrix(durations=scaled, distances=scaled)


def _family(name: str) -> str:
    """C101 -> C1, lrc204 -> lrc2."""
    letters = "".join(c for c in name if not c.isdigit())
    return letters + name[len(letters)]


def read_solomon(path: Path) -> Instance:
    """Parse a Solomon VRPTW file."""
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    k, q = (int(x) for x in lines[3])
    rows = [list(map(float, ln)) for ln in lines[6:] if ln[0].isdigit()]
    arr = np.asarray(rows)
    exact = _euclid(arr[:, 1:3])
    due = int(arr[0, 5]) * SCALE
    fleet = tuple(
        Vehicle(v, start=0, end=0, capacity=(q,), time_window=TimeWindow(0, due))
        for v in range(1, k + 1)
    )
    jobs = tuple(
        Job(
            int(r[0]),
            int(r[0]),
            service=int(r[6] * SCALE),
            delivery=(int(r[3]),),
            time_windows=(TimeWindow(int(r[4] * SCALE), int(r[5] * SCALE)),),
        )
        for r in rows[1:]
    )
    problem = Problem(fleet, jobs, matrices={"car": _matrix(exact)})
    return Instance(path.stem, _family(path.stem), "solomon", problem, exact)


def read_lilim(path: Path) -> Instance:
    """Parse a Li & Lim PDPTW file."""
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    k, q = int(lines[0][0]), int(lines[0][1])
    rows = [list(map(float, ln)) for ln in lines[1:]]
    arr = np.asarray(rows)
    exact = _euclid(arr[:, 1:3])
    due = int(arr[0, 5]) * SCALE
    fleet = tuple(
        Vehicle(v, start=0, end=0, capacity=(q,), time_window=TimeWindow(0, due))
        for v in range(1, k + 1)
    )

    def step(r: Sequence[float]) -> ShipmentStep:
        return ShipmentStep(
            int(r[0]),
            int(r[0]),
            service=int(r[6] * SCALE),
            time_windows=(TimeWindow(int(r[4] * SCALE), int(r[5] * SCALE)),),
        )

    shipments = tuple(
        Shipment(step(r), step(rows[int(r[8])]), amount=(int(r[3]),)) for r in rows[1:] if r[3] > 0
    )
    problem = Problem(fleet, shipments=shipments, matrices={"car": _matrix(exact)})
    return Instance(path.stem, _family(path.stem), "lilim", problem, exact)


def load_bks() -> dict[str, tuple[int, float]]:
    """Instance name -> (vehicles, distance): Solomon distance-only, Li & Lim hierarchical."""
    out: dict[str, tuple[int, float]] = {}
    with open(BENCH / "solomon" / "bks_solomon.csv") as fh:
        for row in csv.DictReader(fh):
            if row["objective_convention"].startswith("distance_only"):
                out[row["instance"]] = (int(row["vehicles"]), float(row["distance"]))
    with open(BENCH / "lilim" / "bks_lilim.csv") as fh:
        for row in csv.DictReader(fh):
            out[row["instance"]] = (int(row["vehicles"]), float(row["distance"]))
    return out


def exact_distance(inst: Instance, orders: Mapping[int, Sequence[int]]) -> float:
    """Double-precision length of routes given as node sequences (depot 0 implied)."""
    total = 0.0
    for nodes in orders.values():
        path = [0, *nodes, 0]
        total += float(sum(inst.exact[a, b] for a, b in zip(path, path[1:], strict=False)))
    return total


def node_orders(solution: Solution) -> dict[int, list[int]]:
    """Vehicle -> node ids (task ids equal node numbers in these instances)."""
    return {
        r.vehicle: [s.id for s in r.steps if s.type in ("job", "pickup", "delivery") and s.id]
        for r in solution.routes
    }


def dodge_break_bug(data: dict[str, Any]) -> dict[str, Any]:
    """The same problem, written so that VROOM 1.15 does not drop tasks it can serve.

    VROOM 1.15 never tries pickup -> delivery -> break when a break is still to come and
    pickup -> break -> delivery misses the delivery's last window (VROOM-Project/vroom#1345,
    the fix in #1350 was never merged): a certificate taken from the office to a home booked
    for the morning is then unassigned on every vehicle, even alone on an empty day. A step
    whose last window closes before some break's last window gets one more window after
    every vehicle's day has ended. No route can use it, so the problem is unchanged; VROOM
    then also tries the order it skipped. Only when every vehicle has a time window.
    """
    vehicles = data["vehicles"]
    if not vehicles or any("time_window" not in v for v in vehicles):
        return data
    after = max(v["time_window"][1] for v in vehicles) + 1
    lunch = max(
        (w[1] for v in vehicles for b in v.get("breaks", ()) for w in b.get("time_windows", ())),
        default=None,
    )
    if lunch is None:
        return data
    out = copy.deepcopy(data)
    steps = [
        *out.get("jobs", ()),
        *(s[k] for s in out.get("shipments", ()) for k in ("pickup", "delivery")),
    ]
    for step in steps:
        windows = step.get("time_windows")
        if windows and windows[-1][1] < lunch:
            windows.append([after, after])
    return out


def vroom_solve(
    problem: Problem, seconds: float, exploration: int = 5, cache: Path | None = None
) -> tuple[Solution, float]:
    """Solve with pyvroom (1 thread), then re-time VROOM's orders with routing.evaluate.

    With ``cache`` (a folder), VROOM's orders and wall time for the same problem, level and
    timeout are read from there when an earlier run stored them, and stored otherwise: on a
    shared machine a county day's VROOM run alone takes minutes.
    """
    import vroom

    data = dodge_break_bug(problem_to_vroom(problem))
    text = json.dumps(data, sort_keys=True)
    key = hashlib.sha256(f"{text}|{exploration}|{seconds}".encode()).hexdigest()[:20]
    stored = cache / f"{key}.json" if cache else None
    if stored and stored.exists():
        saved = json.loads(stored.read_text())
        orders = {int(v): [tuple(s) for s in steps] for v, steps in saved["orders"].items()}
        return evaluate(problem, orders), float(saved["elapsed"])
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        fh.write(text)
    inp = vroom.Input.from_json(Path(fh.name))
    Path(fh.name).unlink()
    t0, c0 = time.perf_counter(), time.process_time()
    raw = inp.solve(
        exploration_level=exploration, nb_threads=1, timeout=timedelta(seconds=seconds)
    ).to_dict()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    orders: dict[int, list[Any]] = {
        r["vehicle"]: [
            (s["type"], s["id"]) for s in r["steps"] if s["type"] in ("job", "pickup", "delivery")
        ]
        for r in raw.get("routes", [])
    }
    if stored:
        stored.parent.mkdir(parents=True, exist_ok=True)
        load = os.getloadavg()[0]
        saved = {"orders": orders, "elapsed": elapsed, "cpu": cpu, "load": load}
        stored.write_text(json.dumps(saved))
    return evaluate(problem, orders), elapsed


def feasible(problem: Problem, solution: Solution) -> tuple[bool, str]:
    """Checked by routing.check; returns (ok, first violation)."""
    bad = check(problem, solution)
    return (not bad, bad[0].message if bad else "")


def fmt_pct(x: float) -> str:
    """Percentage with two decimals, or n/a."""
    return "n/a" if math.isnan(x) else f"{100 * x:.2f}%"
