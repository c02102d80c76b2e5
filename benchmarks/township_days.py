"""Synthetic Jieyang township days: this solver against VROOM at equal time, plus scale.

A day in one township: motorbike agents and one car leave the township centre (the 代办
office) at 08:00 and return by 18:00, with a one-hour lunch starting 12:00-13:30. Tasks:

* home visits (jobs, 20 min) with two-hour windows;
* village drop-offs (shipments village -> centre) delivered in office hours
  08:30-12:00 / 14:30-17:30;
* certificates returned to villages (jobs whose delivery is loaded at the office);
* passengers (shipments needing skill 1 and a seat: only the car has both).

Villages with coordinates in ``divisions.csv`` are used as they are; the others are placed
uniformly within 6 km of their township point (documented synthetic placement). Travel is
haversine x 1.3 at 30 km/h (motorbike) and 40 km/h (car).

    python benchmarks/township_days.py --days 6 --time-limit 5
"""

from __future__ import annotations

import argparse
import csv
import logging
import math
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import DIVISIONS, vroom_solve  # noqa: E402
from routing import (  # noqa: E402
    Break,
    HaversineProvider,
    Job,
    Problem,
    Shipment,
    ShipmentStep,
    Solution,
    SolveParams,
    TimeWindow,
    Vehicle,
    check,
    solve,
)

H = 3600
OFFICE = (TimeWindow(8 * H + 1800, 12 * H), TimeWindow(14 * H + 1800, 17 * H + 1800))
DAY = TimeWindow(8 * H, 18 * H)
LUNCH = Break(1, (TimeWindow(12 * H, 13 * H + 1800),), service=H, description="lunch")
PASSENGER = 1


def townships() -> list[dict[str, Any]]:
    """Townships with a point, each with its villages' points (real or placed)."""
    with open(DIVISIONS / "divisions.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    towns = {
        r["code"]: {**r, "villages": []}
        for r in rows
        if r["level"] == "township" and r["lon"] and r["subtype"] in ("镇", "街道", "乡")
    }
    for r in rows:
        if r["level"] == "village" and r["parent_code"] in towns:
            towns[r["parent_code"]]["villages"].append(r)
    return [t for t in towns.values() if len(t["villages"]) >= 15]


def _place(
    town: dict[str, Any], village: dict[str, Any], rng: random.Random
) -> tuple[float, float]:
    if village["lon"]:
        return (float(village["lon"]), float(village["lat"]))
    r, a = 6000 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    lat0 = float(town["lat"])
    return (
        float(town["lon"]) + r * math.cos(a) / (111_320 * math.cos(math.radians(lat0))),
        lat0 + r * math.sin(a) / 110_540,
    )


def make_day(town: dict[str, Any], seed: int, agents: int = 4) -> Problem:
    """One township day (about 45 tasks)."""
    rng = random.Random(seed)
    centre = (float(town["lon"]), float(town["lat"]))
    points = [_place(town, v, rng) for v in town["villages"]]
    fleet = [
        Vehicle(
            v,
            "motorbike",
            centre,
            centre,
            capacity=(8, 0),
            time_window=DAY,
            breaks=(LUNCH,),
            description=f"agent {v}",
        )
        for v in range(1, agents + 1)
    ]
    fleet.append(
        Vehicle(
            agents + 1,
            "car",
            centre,
            centre,
            capacity=(20, 3),
            skills=frozenset({PASSENGER}),
            time_window=DAY,
            breaks=(LUNCH,),
            description="car",
        )
    )
    jobs: list[Job] = []
    ships: list[Shipment] = []
    tid = 1
    for _ in range(16):  # home visits
        start = rng.randrange(8 * H + 1800, 15 * H + 1800, 900)
        jobs.append(
            Job(
                tid,
                rng.choice(points),
                service=1200,
                delivery=(0, 0),
                time_windows=(TimeWindow(start, start + 2 * H),),
                description="visit",
            )
        )
        tid += 1
    for _ in range(10):  # certificates back to villages
        jobs.append(
            Job(tid, rng.choice(points), service=300, delivery=(1, 0), description="certificate")
        )
        tid += 1
    for _ in range(12):  # drop-offs carried to the office
        ships.append(
            Shipment(
                ShipmentStep(tid, rng.choice(points), service=300),
                ShipmentStep(tid + 1, centre, service=300, time_windows=OFFICE),
                amount=(1, 0),
            )
        )
        tid += 2
    for _ in range(3):  # passengers to the office and back home later is a second trip
        start = rng.randrange(8 * H + 1800, 14 * H, 900)
        ships.append(
            Shipment(
                ShipmentStep(
                    tid,
                    rng.choice(points),
                    service=300,
                    time_windows=(TimeWindow(start, start + 2 * H),),
                ),
                ShipmentStep(tid + 1, centre, service=300, time_windows=OFFICE),
                amount=(0, 1),
                skills=frozenset({PASSENGER}),
                priority=50,
            )
        )
        tid += 2
    return Problem(tuple(fleet), tuple(jobs), tuple(ships))


def longest_day(sol: Solution) -> int:
    """Longest route from leaving the office to coming back, in seconds."""
    return max((r.steps[-1].arrival - r.steps[0].arrival for r in sol.routes), default=0)


def with_matrices(problem: Problem) -> Problem:
    """Freeze the haversine matrices into the problem so VROOM sees the same numbers."""
    points: list[tuple[float, float]] = []
    index: dict[tuple[float, float], int] = {}

    def at(loc: Any) -> int:
        if loc not in index:
            index[loc] = len(points)
            points.append(loc)
        return index[loc]

    fleet = tuple(replace(v, start=at(v.start), end=at(v.end)) for v in problem.vehicles)
    jobs = tuple(replace(j, location=at(j.location)) for j in problem.jobs)
    ships = tuple(
        replace(
            s,
            pickup=replace(s.pickup, location=at(s.pickup.location)),
            delivery=replace(s.delivery, location=at(s.delivery.location)),
        )
        for s in problem.shipments
    )
    provider = HaversineProvider()
    mats = {p: provider.matrix(points, p) for p in ("motorbike", "car")}
    return Problem(fleet, jobs, ships, matrices=mats, locations=tuple(points))


def compare(days: int, seconds: float, balance: float) -> list[dict[str, Any]]:
    """Run every day with ours (plain and balanced) and VROOM."""
    towns = townships()
    rng = random.Random(1)
    rows = []
    for d in range(days):
        town = rng.choice(towns)
        problem = with_matrices(make_day(town, seed=d))
        ours = solve(problem, SolveParams(time_limit=seconds))
        bal = solve(problem, SolveParams(time_limit=seconds, balance_weight=balance))
        theirs, _ = vroom_solve(problem, seconds)
        row = {
            "day": d,
            "township": town["name"],
            "tasks": len(problem.jobs) + 2 * len(problem.shipments),
        }
        for name, sol in (("ours", ours), ("balanced", bal), ("vroom", theirs)):
            row[f"{name}_travel_min"] = round(sol.summary.duration / 60, 1)
            row[f"{name}_longest_h"] = round(longest_day(sol) / H, 2)
            row[f"{name}_unassigned"] = len(sol.unassigned)
            row[f"{name}_ok"] = not check(problem, sol)
        ours_missing = {(u.type, u.id) for u in ours.unassigned}
        vroom_missing = {(u.type, u.id) for u in theirs.unassigned}
        row["ours_drops_vroom_serves"] = len(ours_missing - vroom_missing)
        rows.append(row)
        print(row, flush=True)
    return rows


def scale(shipments: int = 1000, vehicles: int = 50, seconds: float = 20.0) -> dict[str, float]:
    """1,000 shipments on 50 vehicles: time to a checked solution; 2,000-point matrix time."""
    rng = np.random.default_rng(0)
    pts = list(
        zip(
            rng.uniform(115.9, 116.5, 2000).tolist(),
            rng.uniform(23.0, 23.7, 2000).tolist(),
            strict=True,
        )
    )
    t0 = time.perf_counter()
    HaversineProvider().matrix(pts, "motorbike")
    matrix_s = time.perf_counter() - t0
    depot = (116.37, 23.55)
    ships = tuple(
        Shipment(
            ShipmentStep(2 * k + 1, pts[2 * k], service=300),
            ShipmentStep(2 * k + 2, pts[2 * k + 1], service=300),
            amount=(1,),
        )
        for k in range(shipments)
    )
    fleet = tuple(
        Vehicle(v, "car", depot, depot, capacity=(10,), time_window=DAY)
        for v in range(1, vehicles + 1)
    )
    problem = Problem(fleet, shipments=ships)
    t0 = time.perf_counter()
    sol = solve(problem, SolveParams(time_limit=seconds))
    ok = not check(problem, sol)
    total = time.perf_counter() - t0
    return {
        "matrix_2000_s": round(matrix_s, 3),
        "scale_seconds": round(total, 1),
        "scale_feasible": ok,
        "scale_unassigned": len(sol.unassigned),
        "scale_routes": len(sol.routes),
    }


def main() -> None:
    """Print the township comparison and the scale figures."""
    ap = argparse.ArgumentParser(description="Jieyang township days vs VROOM")
    ap.add_argument("--days", type=int, default=6)
    ap.add_argument("--time-limit", type=float, default=5.0)
    ap.add_argument("--balance-weight", type=float, default=2.0)
    ap.add_argument("--scale-seconds", type=float, default=20.0)
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--csv", default=str(Path(__file__).parent / "results" / "township_days.csv"))
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rows = compare(args.days, args.time_limit, args.balance_weight)
    keys = ("travel_min", "longest_h", "unassigned")
    print(f"\n{args.days} days, {args.time_limit:g} s each, 1 thread; VROOM exploration 5\n")
    print("| solver | mean travel (min) | mean longest day (h) | unassigned | all checked |")
    print("|---|---|---|---|---|")
    for name in ("ours", "balanced", "vroom"):
        means = [statistics.mean(r[f"{name}_{k}"] for r in rows) for k in keys]
        ok = all(r[f"{name}_ok"] for r in rows)
        print(
            f"| {name} | {means[0]:.1f} | {means[1]:.2f} | "
            f"{sum(r[f'{name}_unassigned'] for r in rows)} | {ok} |"
        )
    ratios = [r["balanced_longest_h"] / r["vroom_longest_h"] for r in rows]
    travel = [r["ours_travel_min"] / r["vroom_travel_min"] for r in rows]
    print(
        f"\nlongest day balanced/VROOM: mean {statistics.mean(ratios):.2f}, "
        f"worst {max(ratios):.2f}; travel ours/VROOM: mean {statistics.mean(travel):.3f}, "
        f"worst {max(travel):.3f}; tasks we drop that VROOM serves: "
        f"{sum(r['ours_drops_vroom_serves'] for r in rows)}"
    )
    out = Path(args.csv)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"CSV: {out}")
    if not args.skip_scale:
        print(scale(seconds=args.scale_seconds))


if __name__ == "__main__":
    main()
