"""The service's own plans against VROOM: every township's stored plan problem, solved again.

Builds the demo in a temporary SQLite database (``benchmarks.planning.build_database``), plans
the next working day in-process as ``daiban plan`` does, then takes every township's stored
plan problem (VROOM's format, coordinates), freezes its matrices with the service's
``HaversineProvider`` and solves it with VROOM (exploration 5, one thread) at the budget the
service used. Both travel times are measured on the same matrices: ours re-timed from the
stored routes with ``routing.evaluate``, VROOM's from its orders. A township where either
left a task unassigned is marked ``*`` and left out of the overall ratio.

    python benchmarks/plans_vs_vroom.py                       # all townships, 0.5 s each
    python benchmarks/plans_vs_vroom.py --limit 12 --time-limit 2
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from benchmarks._common import vroom_solve  # noqa: E402
from benchmarks.planning import build_database, working_days  # noqa: E402
from benchmarks.township_days import with_matrices  # noqa: E402
from dispatch.extensions import db  # noqa: E402
from dispatch.models.plans import Plan  # noqa: E402
from dispatch.planning.runner import townships_with_centres  # noqa: E402
from dispatch.services.plans import plan_city  # noqa: E402
from routing import HaversineProvider, evaluate, problem_from_vroom  # noqa: E402


def stored_orders(solution: dict[str, Any]) -> dict[int, list[tuple[str, int]]]:
    """Vehicle id -> (type, id) of each task, from a stored VROOM-format solution."""
    return {
        r["vehicle"]: [
            (s["type"], s["id"]) for s in r["steps"] if s["type"] in ("job", "pickup", "delivery")
        ]
        for r in solution.get("routes", [])
    }


def compare(plan: Plan, seconds: float, save: Path | None = None) -> dict[str, Any]:
    """One township: our stored routes and VROOM's, timed on the same matrices (the plan's
    problem written to ``save`` when given)."""
    if save:
        save.mkdir(parents=True, exist_ok=True)
        (save / f"{plan.township.name}.json").write_text(json.dumps(plan.problem))
    problem = with_matrices(problem_from_vroom(plan.problem), HaversineProvider())
    ours = evaluate(problem, stored_orders(plan.solution))
    theirs, elapsed = vroom_solve(problem, seconds)
    tasks = len(problem.jobs) + len(problem.shipments)
    return {
        "township": plan.township.name,
        "tasks": tasks,
        "ours": ours.summary.duration,
        "vroom": theirs.summary.duration,
        "ours_km": ours.summary.distance / 1000,
        "vroom_km": theirs.summary.distance / 1000,
        "ours_unassigned": len(ours.unassigned),
        "vroom_unassigned": len(theirs.unassigned),
        "vroom_s": round(elapsed, 2),
    }


def main() -> None:
    """Print each township's ratio, the overall one and the townships worse than VROOM."""
    ap = argparse.ArgumentParser(description="the service's plans against VROOM")
    ap.add_argument("--seed", type=int, default=7, help="demo seed")
    ap.add_argument("--time-limit", type=float, default=0.5, help="the service's solver budget")
    ap.add_argument("--limit", type=int, help="only the first N townships")
    ap.add_argument("--save", type=Path, help="write each township's plan problem here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app, _, _ = build_database(Path(folder), args.seed)
        day = working_days(1)[0]
        with app.app_context():
            codes = townships_with_centres(db.session)[: args.limit]
            plan_city(db.session, day, codes=codes, time_limit=args.time_limit)
            latest = (
                select(Plan.township_id, func.max(Plan.version).label("v"))
                .where(Plan.day == day)
                .group_by(Plan.township_id)
                .subquery()
            )
            same_version = (Plan.township_id == latest.c.township_id) & (Plan.version == latest.c.v)
            plans = db.session.scalars(select(Plan).join(latest, same_version)).all()
            # A township with nothing to do today has nothing to compare (VROOM refuses it).
            busy = [p for p in plans if p.problem.get("jobs") or p.problem.get("shipments")]
            rows = [compare(p, args.time_limit, args.save) for p in busy]
    rows.sort(key=lambda r: r["tasks"])
    print(
        "| township | tasks | ours min | VROOM min | ours / VROOM | km ours / VROOM "
        "| unassigned ours/VROOM |"
    )
    print("|---|---|---|---|---|---|---|")
    same = []
    for r in rows:
        ratio = r["ours"] / r["vroom"] if r["vroom"] else 1.0
        comparable = r["ours_unassigned"] == r["vroom_unassigned"] == 0
        if comparable:
            same.append(r)
        print(
            f"| {r['township']} | {r['tasks']} | {r['ours'] / 60:.1f} | {r['vroom'] / 60:.1f} | "
            f"{ratio:.3f}{'' if comparable else '*'} | "
            f"{r['ours_km']:.1f} / {r['vroom_km']:.1f} | "
            f"{r['ours_unassigned']}/{r['vroom_unassigned']} |"
        )
    total = sum(r["ours"] for r in same) / max(1, sum(r["vroom"] for r in same))
    worse = [r["township"] for r in same if r["ours"] > r["vroom"]]
    km = sum(r["ours_km"] for r in same) / max(1e-9, sum(r["vroom_km"] for r in same))
    print(f"\n{len(rows)} townships at {args.time_limit:g} s; overall ours / VROOM {total:.3f}")
    print(f"distance overall ours / VROOM {km:.3f}; * rows left out: {len(rows) - len(same)}")
    print(f"worse than VROOM: {len(worse)} ({', '.join(worse) or 'none'})")


if __name__ == "__main__":
    main()
