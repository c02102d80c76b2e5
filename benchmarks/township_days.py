"""Realistic Jieyang township days: this solver against VROOM at VROOM's own time.

A day in one township, as issue 12 describes it. Every task is a shipment through the
township centre (the 代办 office), the hub:

* village drop-offs, and the documents taken at home visits, are delivered to the centre;
* finished certificates are picked up at the centre and taken to a village room or to a
  villager's home;
* villagers who must appear in person ride in a car from home to the centre (a seat and
  skill 1: only a car has both).

Each delivery to the centre and each pickup from it has the office's two windows,
08:30-12:00 and 14:30-17:30. A motorbike (8 document bags) starts and ends at its agent's
home village; a car (30 bags, 3 seats) at the centre, and a large township has two. Everyone
works 08:00-18:00 with a 90-minute lunch starting 12:00-13:30. A home visit is 20 minutes in
a booked two-hour window. Priorities mix 0, 10, 50 and 100. Travel is great-circle x 1.35 at
30 km/h (motorbike) and 40 km/h (car).

Sizes (shipments, vehicles): small 40/4, medium 90/6, large 200/10, county 450/19. Villages
with coordinates in ``divisions.csv`` are used as they are; the others are placed uniformly
within 6 km of their township point; a home is within 800 m of its village.

VROOM (pyvroom, exploration level 5, one thread) runs to its end first; this solver then gets
VROOM's wall time on one thread. Both solutions go through ``routing.check``. VROOM reads the
same problem written around its break bug (``benchmarks._common.dodge_break_bug``): without
that it left every certificate for a home booked in the morning unassigned. The means and the
worst day are over the days where both served every task.

    python benchmarks/township_days.py --seeds 12                 # small, medium, large
    python benchmarks/township_days.py --sizes county --seeds 3   # the 450-shipment day
    python benchmarks/township_days.py --sizes county --seeds 2 --seconds 30  # in 30 s
"""

from __future__ import annotations

import argparse
import csv
import logging
import math
import os
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
    Problem,
    Shipment,
    ShipmentStep,
    Solution,
    SolveParams,
    TimeWindow,
    Vehicle,
    _vroom,
    check,
    solve,
)

H = 3600
OFFICE = (TimeWindow(8 * H + 1800, 12 * H), TimeWindow(14 * H + 1800, 17 * H + 1800))
DAY = TimeWindow(8 * H, 18 * H)
LUNCH = Break(1, (TimeWindow(12 * H, 13 * H + 1800),), service=90 * 60, description="lunch")
PASSENGER = 1
CIRCUITY = 1.35
#: name -> (shipments, vehicles, cars)
SIZES: dict[str, tuple[int, int, int]] = {
    "small": (40, 4, 1),
    "medium": (90, 6, 1),
    "large": (200, 10, 2),
    "county": (450, 19, 2),
}
#: kind -> share of a day's shipments (passengers are capped by the cars' seats below)
MIX = {"dropoff": 0.34, "visit": 0.2, "to_village": 0.26, "to_home": 0.14, "passenger": 0.06}
PRIORITIES = (0, 10, 50, 100)
PRIORITY_WEIGHTS = (0.4, 0.3, 0.2, 0.1)


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


def _offset(point: tuple[float, float], metres: float, rng: random.Random) -> tuple[float, float]:
    r, a = metres * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    lon, lat = point
    return (
        lon + r * math.cos(a) / (111_320 * math.cos(math.radians(lat))),
        lat + r * math.sin(a) / 110_540,
    )


def _place(
    town: dict[str, Any], village: dict[str, Any], rng: random.Random
) -> tuple[float, float]:
    if village["lon"]:
        return (float(village["lon"]), float(village["lat"]))
    return _offset((float(town["lon"]), float(town["lat"])), 6000, rng)


def _fleet(
    rng: random.Random, centre: tuple[float, float], points: list[Any], bikes: int, cars: int
) -> list[Vehicle]:
    homes = rng.sample(points, min(bikes, len(points)))
    fleet = [
        Vehicle(
            v + 1,
            "motorbike",
            homes[v % len(homes)],
            homes[v % len(homes)],
            capacity=(8, 0),
            time_window=DAY,
            breaks=(LUNCH,),
            description=f"agent {v + 1}",
        )
        for v in range(bikes)
    ]
    fleet += [
        Vehicle(
            bikes + c + 1,
            "car",
            centre,
            centre,
            capacity=(30, 3),
            skills=frozenset({PASSENGER}),
            time_window=DAY,
            breaks=(LUNCH,),
            description=f"car {c + 1}",
        )
        for c in range(cars)
    ]
    return fleet


def _booked(rng: random.Random, latest: int = 15 * H + 1800) -> tuple[TimeWindow, ...]:
    start = rng.randrange(8 * H + 1800, latest, 900)
    return (TimeWindow(start, start + 2 * H),)


def make_day(town: dict[str, Any], seed: int, size: str = "small") -> Problem:
    """One township day with every trait of issue 12 (see the module docstring)."""
    rng = random.Random(seed)
    count, vehicles, cars = SIZES[size]
    centre = (float(town["lon"]), float(town["lat"]))
    points = [_place(town, v, rng) for v in town["villages"]]
    rng.shuffle(points)
    points = points[: rng.randint(20, 40)]  # the villages that bring cases today
    fleet = _fleet(rng, centre, points, vehicles - cars, cars)
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=count)
    seats = 4 * cars  # a car makes a few passenger trips a day, not dozens
    kinds = [k if k != "passenger" or (seats := seats - 1) >= 0 else "dropoff" for k in kinds]
    office = ShipmentStep
    ships: list[Shipment] = []
    for n, kind in enumerate(kinds):
        pid, did = 2 * n + 1, 2 * n + 2
        village = rng.choice(points)
        home = _offset(village, 800, rng)
        priority = rng.choices(PRIORITIES, weights=PRIORITY_WEIGHTS)[0]
        amount, skills = (1, 0), frozenset[int]()
        if kind == "dropoff":
            pickup = ShipmentStep(pid, village, service=300, description="drop-off")
            delivery = office(did, centre, service=120, time_windows=OFFICE)
        elif kind == "visit":
            pickup = ShipmentStep(
                pid, home, service=1200, time_windows=_booked(rng), description="home visit"
            )
            delivery = office(did, centre, service=120, time_windows=OFFICE)
        elif kind == "to_village":
            pickup = office(pid, centre, service=120, time_windows=OFFICE)
            delivery = ShipmentStep(did, village, service=300, description="certificate")
        elif kind == "to_home":
            pickup = office(pid, centre, service=120, time_windows=OFFICE)
            delivery = ShipmentStep(
                did, home, service=1200, time_windows=_booked(rng), description="to home"
            )
        else:
            pickup = ShipmentStep(
                pid, home, service=300, time_windows=_booked(rng, 14 * H), description="ride"
            )
            delivery = office(did, centre, service=300, time_windows=OFFICE)
            amount, skills = (0, 1), frozenset({PASSENGER})
        ships.append(Shipment(pickup, delivery, amount=amount, skills=skills, priority=priority))
    return Problem(tuple(fleet), (), tuple(ships))


def longest_day(sol: Solution) -> int:
    """Longest route from leaving the office to coming back, in seconds."""
    return max((r.steps[-1].arrival - r.steps[0].arrival for r in sol.routes), default=0)


def with_matrices(problem: Problem, provider: HaversineProvider | None = None) -> Problem:
    """Freeze the haversine matrices (``CIRCUITY`` unless ``provider`` is given) into the
    problem so VROOM sees the same numbers."""
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
    provider = provider or HaversineProvider(circuity=CIRCUITY)
    mats = {p: provider.matrix(points, p) for p in sorted({v.profile for v in fleet})}
    return Problem(fleet, jobs, ships, matrices=mats, locations=tuple(points))


def _measure(problem: Problem, sol: Solution) -> dict[str, Any]:
    return {
        "travel_min": round(sol.summary.duration / 60, 1),
        "longest_h": round(longest_day(sol) / H, 2),
        "unassigned": len(sol.unassigned),
        "ok": not check(problem, sol),
    }


def run_day(
    size: str,
    seed: int,
    balance: float,
    factor: float,
    seconds: float | None = None,
    cache: Path | None = None,
) -> dict[str, Any]:
    """One day: VROOM to its end (or as ``cache`` has it), then ours (and balanced) at
    VROOM's wall time x factor, or at ``seconds`` when given."""
    towns = townships()
    town = random.Random(f"{size}-{seed}").choice(towns)
    problem = with_matrices(make_day(town, seed, size))
    theirs, elapsed = vroom_solve(problem, 3600.0, cache=cache)
    budget = seconds if seconds else max(0.2, elapsed * factor)
    t0 = time.perf_counter()
    ours = solve(problem, SolveParams(time_limit=budget))
    ours_s = time.perf_counter() - t0
    row: dict[str, Any] = {
        "size": size,
        "seed": seed,
        "township": town["name"],
        "shipments": len(problem.shipments),
        "vehicles": len(problem.vehicles),
        "vroom_s": round(elapsed, 2),
        "ours_s": round(ours_s, 2),
        "load": round(os.getloadavg()[0], 1),
    }
    sols = {"ours": ours, "vroom": theirs}
    if balance > 0:
        sols["balanced"] = solve(problem, SolveParams(time_limit=budget, balance_weight=balance))
    for name, sol in sols.items():
        row.update({f"{name}_{k}": v for k, v in _measure(problem, sol).items()})
    # A ratio compares like with like only when both served the same tasks.
    same = row["ours_unassigned"] == row["vroom_unassigned"] == 0
    row["comparable"] = same
    row["travel_ratio"] = round(row["ours_travel_min"] / row["vroom_travel_min"], 3)
    if balance > 0:
        row["longest_ratio"] = round(row["balanced_longest_h"] / row["vroom_longest_h"], 3)
    ours_missing = {(u.type, u.id) for u in ours.unassigned}
    vroom_missing = {(u.type, u.id) for u in theirs.unassigned}
    row["ours_drops_vroom_serves"] = len(ours_missing - vroom_missing)
    row["reasons"] = ",".join(sorted({u.reason for u in ours.unassigned}))
    return row


def print_table(rows: list[dict[str, Any]]) -> None:
    """Every day, then per size the mean and the worst day."""
    balanced = "longest_ratio" in rows[0]
    head = (
        "| size | seed | township | ships | veh | VROOM s | ours s | load | ours min | VROOM min "
        "| ours/VROOM | unassigned ours/VROOM | we drop, VROOM serves | checked |"
    )
    if balanced:
        head += " balanced longest / VROOM longest |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for r in rows:
        line = (
            f"| {r['size']} | {r['seed']} | {r['township']} | {r['shipments']} | "
            f"{r['vehicles']} | {r['vroom_s']} | {r['ours_s']} | {r['load']} | "
            f"{r['ours_travel_min']} | "
            f"{r['vroom_travel_min']} | {r['travel_ratio']:.3f}{'' if r['comparable'] else '*'} | "
            f"{r['ours_unassigned']}/{r['vroom_unassigned']} | "
            f"{r['ours_drops_vroom_serves']} | {r['ours_ok'] and r['vroom_ok']} |"
        )
        if balanced:
            line += f" {r['longest_ratio']:.3f} |"
        print(line)
    print()
    print(
        "| size | days (both serve all) | mean ours/VROOM | worst day | unassigned ours/VROOM "
        "| we drop, VROOM serves | all checked |" + (" longest mean / worst |" if balanced else "")
    )
    print("|---|---|---|---|---|---|---|" + ("---|" if balanced else ""))
    for size in dict.fromkeys(r["size"] for r in rows):
        rs = [r for r in rows if r["size"] == size]
        same = [r for r in rs if r["comparable"]] or [{"travel_ratio": math.nan, "seed": "-"}]
        ratios = [r["travel_ratio"] for r in same]
        worst = max(same, key=lambda r: r["travel_ratio"])
        line = (
            f"| {size} | {len(rs)} ({len([r for r in rs if r['comparable']])}) | "
            f"{statistics.mean(ratios):.3f} | "
            f"{worst['travel_ratio']:.3f} (seed {worst['seed']}) | "
            f"{sum(r['ours_unassigned'] for r in rs)}/{sum(r['vroom_unassigned'] for r in rs)} | "
            f"{sum(r['ours_drops_vroom_serves'] for r in rs)} | "
            f"{all(r['ours_ok'] and r['vroom_ok'] for r in rs)} |"
        )
        if balanced:
            longest = [r["longest_ratio"] for r in rs]
            line += f" {statistics.mean(longest):.3f} / {max(longest):.3f} |"
        print(line)


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
    """Print every day against VROOM, the mean and the worst day per size."""
    ap = argparse.ArgumentParser(description="Jieyang township days vs VROOM")
    ap.add_argument("--sizes", default="small,medium,large", help="of " + ",".join(SIZES))
    ap.add_argument("--seeds", type=int, default=12, help="seeds per size, from --first-seed")
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--balance-weight", type=float, default=0.0, help="also run balanced")
    ap.add_argument("--time-factor", type=float, default=1.0, help="our time / VROOM's time")
    ap.add_argument("--seconds", type=float, help="our time, fixed (the county day's 30 s)")
    ap.add_argument(
        "--seed-searches", type=int, default=_vroom.SEARCHES, help="VROOM searches of our seed"
    )
    ap.add_argument("--seed-depth", type=int, default=_vroom.DEPTH, help="their ruin depth")
    ap.add_argument("--scale", action="store_true", help="also the 1,000-shipment scale run")
    ap.add_argument("--scale-seconds", type=float, default=20.0)
    ap.add_argument("--csv", default=str(Path(__file__).parent / "results" / "township_days.csv"))
    ap.add_argument(
        "--vroom-cache",
        default=str(Path(__file__).parent / "results" / "vroom_cache"),
        help="folder of VROOM's stored runs ('' runs VROOM every time)",
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    _vroom.SEARCHES, _vroom.DEPTH = args.seed_searches, args.seed_depth
    rows = []
    for size in args.sizes.split(","):
        if size not in SIZES:
            ap.error(f"--sizes: {size!r} is not one of {', '.join(SIZES)}")
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            row = run_day(
                size,
                seed,
                args.balance_weight,
                args.time_factor,
                args.seconds,
                Path(args.vroom_cache) if args.vroom_cache else None,
            )
            print(row, flush=True)
            rows.append(row)
    ours = f"{args.seconds:g} s" if args.seconds else f"{args.time_factor:g} x its time"
    print(f"\nVROOM exploration 5, 1 thread, to its end; ours at {ours}")
    print("* a day where one of them left tasks unassigned: its ratio is not in the means\n")
    print_table(rows)
    out = Path(args.csv)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"CSV: {out}")
    if args.scale:
        print(scale(seconds=args.scale_seconds))


if __name__ == "__main__":
    main()
