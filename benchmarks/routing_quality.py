"""Route quality on Solomon (VRPTW) and Li & Lim (PDPTW): this solver, VROOM and PyVRP.

Same instances, same time budget, one thread each. Every solution is checked: ours and
VROOM's with ``routing.check`` (VROOM's orders re-timed by ``routing.evaluate``), PyVRP's the
same way after mapping its visits back to task ids. Gaps are to the distance-only BKS for
Solomon and to the (hierarchical) BKS distance for Li & Lim.

    python benchmarks/routing_quality.py --time-limit 5
    python benchmarks/routing_quality.py --limit 6 --families C1,lr1 --solvers ours,vroom
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import logging
import math
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import (  # noqa: E402
    BENCH,
    RESULTS,
    SCALE,
    Instance,
    exact_distance,
    feasible,
    fmt_pct,
    load_bks,
    node_orders,
    read_lilim,
    read_solomon,
    vroom_solve,
)
from routing import Solution, SolveParams, evaluate, solve  # noqa: E402

logger = logging.getLogger("benchmarks.routing_quality")


def instances(pattern: str, families: set[str] | None, limit: int | None) -> list[Instance]:
    """Matching instances, Solomon first."""
    paths = sorted((BENCH / "solomon").glob("*.txt")) + sorted((BENCH / "lilim").glob("*.txt"))
    out = []
    for p in paths:
        if not fnmatch.fnmatch(p.stem, pattern):
            continue
        inst = read_solomon(p) if p.parent.name == "solomon" else read_lilim(p)
        if families and inst.family not in families:
            continue
        out.append(inst)
    return out[:limit] if limit else out


def run_ours(inst: Instance, seconds: float, threads: int) -> tuple[Solution, float]:
    """Our solver."""
    t0 = time.perf_counter()
    sol = solve(inst.problem, SolveParams(time_limit=seconds, threads=threads))
    return sol, time.perf_counter() - t0


def run_pyvrp(inst: Instance, seconds: float) -> tuple[Solution, float]:
    """PyVRP on the same integer matrix; visits mapped back to task ids and re-timed."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    p = inst.problem
    m = pyvrp.Model()
    n = inst.exact.shape[0]
    locs = [m.add_location(0, 0) for _ in range(n)]
    veh = p.vehicles[0]
    assert veh.time_window is not None
    depot = m.add_depot(locs[0], tw_early=0, tw_late=veh.time_window.end)
    m.add_vehicle_type(
        len(p.vehicles),
        capacity=list(veh.capacity),
        start_depot=depot,
        end_depot=depot,
        tw_late=veh.time_window.end,
    )
    clients: list[tuple[str, int]] = []
    for j in p.jobs:
        tw = j.time_windows[0]
        m.add_client(
            locs[int(j.location)],
            delivery=list(j.delivery),
            service_duration=j.service,  # type: ignore[arg-type]
            tw_early=tw.start,
            tw_late=tw.end,
        )
        clients.append(("job", j.id))
    for s in p.shipments:
        a, b = s.pickup, s.delivery
        m.add_shipment(
            locs[int(a.location)],
            locs[int(b.location)],  # type: ignore[arg-type]
            pickup_tw_early=a.time_windows[0].start,
            pickup_tw_late=a.time_windows[0].end,
            pickup_service_duration=a.service,
            delivery_tw_early=b.time_windows[0].start,
            delivery_tw_late=b.time_windows[0].end,
            delivery_service_duration=b.service,
            amount=list(s.amount),
        )
    dur = p.matrices["car"].durations  # type: ignore[index]
    for i in range(n):
        for k in range(n):
            m.add_edge(locs[i], locs[k], int(dur[i, k]), int(dur[i, k]))
    t0 = time.perf_counter()
    res = m.solve(MaxRuntime(seconds), seed=0, display=False)
    elapsed = time.perf_counter() - t0
    orders: dict[int, list[Any]] = {}
    for v, route in enumerate(res.best.routes()):
        seq: list[Any] = []
        for act in route.schedule():
            if act.is_depot():
                continue
            if act.is_shipment():
                ship = p.shipments[act.idx]
                seq.append(
                    ("pickup", ship.pickup.id)
                    if act.is_pickup()
                    else ("delivery", ship.delivery.id)
                )
            else:
                seq.append(clients[act.idx])
        orders[p.vehicles[v].id] = seq
    return evaluate(p, orders), elapsed


def measure(
    inst: Instance, name: str, sol: Solution, seconds: float, bks: tuple[int, float] | None
) -> dict[str, Any]:
    """One CSV row."""
    ok, why = feasible(inst.problem, sol)
    dist = exact_distance(inst, node_orders(sol))
    gap = (dist - bks[1]) / bks[1] if bks else math.nan
    missing = len(sol.unassigned)
    return {
        "instance": inst.name,
        "family": inst.family,
        "solver": name,
        "vehicles": len(sol.routes),
        "distance": round(dist, 2),
        "bks_vehicles": bks[0] if bks else "",
        "bks_distance": bks[1] if bks else "",
        "gap": gap,
        "unassigned": missing,
        "feasible": ok and missing == 0,
        "violation": why,
        "seconds": round(seconds, 2),
    }


def table(rows: list[dict[str, Any]]) -> str:
    """Mean gap, vehicles and infeasible count per family and solver, as Markdown."""
    solvers = sorted({r["solver"] for r in rows}, key=["ours", "vroom", "pyvrp"].index)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        kind = "Solomon" if r["family"][0].isupper() else "Li&Lim"
        for key in (r["family"], f"{kind} all"):
            groups[(key, r["solver"])].append(r)
    fams = sorted({k for k, _ in groups}, key=lambda f: (f.endswith("all"), f[0].islower(), f))
    head = "| family | n | " + " | ".join(f"{s} gap | {s} veh | {s} bad" for s in solvers) + " |"
    lines = [head, "|" + "---|" * (2 + 3 * len(solvers))]
    for fam in fams:
        cells = []
        n = 0
        for s in solvers:
            rs = groups.get((fam, s), [])
            n = max(n, len(rs))
            good = [r["gap"] for r in rs if r["feasible"] and not math.isnan(r["gap"])]
            gap = statistics.mean(good) if good else math.nan
            veh = statistics.mean(r["vehicles"] for r in rs) if rs else math.nan
            cells += [fmt_pct(gap), f"{veh:.1f}", str(sum(not r["feasible"] for r in rs))]
        lines.append(f"| {fam} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Run the comparison and write the CSV."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    ap.add_argument("--time-limit", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--instances", default="*", help="glob on instance names, e.g. 'lr1*'")
    ap.add_argument("--families", default="", help="comma list, e.g. C1,R2,lrc1")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--solvers", default="ours,vroom,pyvrp")
    ap.add_argument("--csv", type=Path)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    fams = set(args.families.split(",")) if args.families else None
    insts = instances(args.instances, fams, args.limit)
    bks = load_bks()
    solvers = args.solvers.split(",")
    RESULTS.mkdir(exist_ok=True)
    out = args.csv or RESULTS / f"routing_quality_{time.strftime('%Y%m%d_%H%M%S')}.csv"
    rows: list[dict[str, Any]] = []
    for inst in insts:
        for name in solvers:
            if name == "ours":
                sol, secs = run_ours(inst, args.time_limit, args.threads)
            elif name == "vroom":
                sol, secs = vroom_solve(inst.problem, args.time_limit)
            else:
                sol, secs = run_pyvrp(inst, args.time_limit)
            row = measure(inst, name, sol, secs, bks.get(inst.name))
            rows.append(row)
            print(
                f"{inst.name:8s} {name:6s} veh={row['vehicles']:3d} dist={row['distance']:9.2f} "
                f"gap={fmt_pct(row['gap']):>7s} ok={row['feasible']} {row['seconds']:.1f}s "
                f"{row['violation']}",
                flush=True,
            )
        with open(out, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    print(
        f"\nscale {SCALE}, {args.time_limit:g}s per instance, {args.threads} thread(s); "
        f"CSV: {out}\n"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
