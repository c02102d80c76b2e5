"""The load test: start the stack, run Locust, reconcile, print one table and one line.

    .venv/bin/python -m benchmarks.load.run --quick    # 2 minutes (make load-quick)
    .venv/bin/python -m benchmarks.load.run            # 10-minute peak, then the ramp

The last line is ``load: N requests, R req/s, p95 X ms, 5xx K, lost L``; the run exits 1 if
any answer was a 5xx or anything was lost.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.load.population import build_population, load_app
from benchmarks.load.reconcile import Reconciliation, reconcile
from benchmarks.load.stack import BIN, ROOT, Stack, StackConfig

HERE = Path(__file__).resolve().parent
#: The phone's endpoints: the issue's target is p95 <= 300 ms for these.
PHONE = ("/api/plans/today", "/api/plans/stops/[id]")
#: The ramp's knee: where a step's p95 passes this.
KNEE_MS = 1000


@dataclass(frozen=True)
class Endpoint:
    name: str
    requests: int
    failures: int
    p50: float
    p95: float
    p99: float
    rps: float


def read_stats(path: Path) -> tuple[list[Endpoint], Endpoint]:
    """Locust's ``*_stats.csv``: one row per endpoint and the aggregate."""
    rows, total = [], None
    with open(path) as f:
        for r in csv.DictReader(f):
            if r["Name"] == "/api/plans/stops/[id] (cut)":
                continue
            e = Endpoint(
                f"{r['Type']} {r['Name']}" if r["Name"] != "Aggregated" else "all",
                int(r["Request Count"]),
                int(r["Failure Count"]),
                float(r["50%"] or 0),
                float(r["95%"] or 0),
                float(r["99%"] or 0),
                float(r["Requests/s"] or 0),
            )
            if r["Name"] == "Aggregated":
                total = e
            else:
                rows.append(e)
    assert total is not None, f"no aggregate row in {path}"
    return rows, total


class LocustFailed(RuntimeError):
    """The Locust run ended before it wrote its ledger (not installed, crashed, killed)."""


def run_locust(stack: Stack, args: argparse.Namespace, population: Path, ledger: Path) -> Path:
    if not (BIN / "locust").exists():
        raise LocustFailed(f"Locust is not installed in {BIN}: pip install -e '.[dev]'")
    users = args.agents + args.staff + args.dispatchers + args.villagers
    prefix = stack.config.run_dir / "locust"
    argv = [str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless"]
    argv += ["--host", stack.config.base_url, "--csv", str(prefix), "--only-summary"]
    argv += ["--stop-timeout", "5", "--loglevel", "WARNING"]
    if not args.full:
        argv += ["-u", str(users), "-r", "50", "-t", f"{int(args.duration)}s"]
    env = stack.env(
        LOAD_POPULATION=str(population),
        LOAD_LEDGER=str(ledger),
        LOAD_MODE="full" if args.full else "quick",
        LOAD_AGENTS=str(args.agents),
        LOAD_STAFF=str(args.staff),
        LOAD_DISPATCHERS=str(args.dispatchers),
        LOAD_VILLAGERS=str(args.villagers),
        LOAD_REPLAN_EVERY_S=str(args.replan_every),
        LOAD_STAFF_THINK_S=str(args.staff_think),
        LOAD_PEAK_S=str(args.duration),
        LOAD_CUT_SYNCS=str(args.cut_syncs),
        LOAD_STEP_S=str(args.step),
        LOAD_STEP_USERS=str(args.step_users),
    )
    log_path = stack.config.run_dir / "locust.log"
    with open(log_path, "wb") as log:
        # Locust exits 1 when any request failed, which a fault run expects: not checked here.
        done = subprocess.run(
            stack._nice(argv), env=env, cwd=ROOT, stdout=log, stderr=log, check=False
        )
    if not ledger.exists():
        tail = log_path.read_text(errors="replace")[-3000:]
        raise LocustFailed(
            f"Locust exited with {done.returncode} without writing {ledger}; "
            f"{log_path} ends:\n{tail}"
        )
    return Path(f"{prefix}_stats.csv")


def table(
    endpoints: list[Endpoint],
    total: Endpoint,
    statuses: dict[str, int],
    rec: Reconciliation,
    ledger: dict[str, Any],
) -> str:
    lines = [
        f"requests per second held: {total.rps:.1f} ({total.requests} requests)",
        "",
        "| endpoint | requests | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|",
    ]
    for e in sorted(endpoints, key=lambda e: -e.requests):
        lines.append(f"| {e.name} | {e.requests} | {e.p50:.0f} | {e.p95:.0f} | {e.p99:.0f} |")
    lines.append(
        f"| **all** | {total.requests} | {total.p50:.0f} | {total.p95:.0f} | {total.p99:.0f} |"
    )
    by_status: Counter[tuple[str, str]] = Counter()
    for key, n in statuses.items():
        name, code = key.rsplit(" ", 1)
        if not code.startswith("2"):
            by_status[(code, name)] += n
    lines += ["", "| status | endpoint | count |", "|---|---|---|"]
    lines += [f"| {c} | {name} | {n} |" for (c, name), n in sorted(by_status.items())]
    if not by_status:
        lines.append("| none | | 0 |")
    lines += ["", "| reconciliation | count |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(rec.counts.items())]
    lines += [f"| bookings answered 201 | {len(ledger['bookings'])} |"]
    lines += [f"| booking 409 (slot taken meanwhile) | {ledger['booking_conflicts']} |"]
    if ledger.get("cuts"):
        lines += [f"| syncs cut mid-request | {ledger['cuts']} |"]
    lines += [f"| **lost: {k}** | {v} |" for k, v in sorted(rec.lost.items())]
    lines += [f"| **lost** | {rec.lost_count} |"]
    if ledger.get("ramp"):
        lines += ["", *ramp_table(ledger["ramp"])]
    return "\n".join(lines)


def peak_endpoints(ledger: dict[str, Any]) -> tuple[list[Endpoint], Endpoint]:
    """The full run's endpoint figures for the peak alone (the ramp's are in its table)."""
    peak = ledger["peak"]["endpoints"]

    def endpoint(name: str, w: dict[str, Any]) -> Endpoint:
        return Endpoint(name, w["requests"], 0, w["p50_ms"], w["p95_ms"], w["p99_ms"], w["rps"])

    rows = [endpoint(name, w) for name, w in peak.items() if name != "all"]
    return rows, endpoint("all", peak["all"])


def knee(ramp: list[dict[str, Any]]) -> str:
    """Where a step's p95 first passed 1 s, and the last step that held."""
    past = next((s for s in ramp if s["p95_ms"] > KNEE_MS), None)
    held = [s for s in ramp if s["p95_ms"] <= KNEE_MS and (past is None or s is not past)]
    last = (
        f"last held: {held[-1]['users']} users, {held[-1]['rps']} req/s, "
        f"p95 {held[-1]['p95_ms']} ms"
        if held
        else "no step held"
    )
    if past is None:
        return f"knee: not reached in {len(ramp)} steps; {last}"
    return f"knee: p95 passed 1 s at {past['users']} users ({past['rps']} req/s); {last}"


def ramp_table(ramp: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| ramp step | users | req/s | p50 ms | p95 ms | p99 ms | 5xx |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in ramp:
        lines.append(
            f"| {s['step']} | {s['users']} | {s['rps']} | {s['p50_ms']} | {s['p95_ms']} "
            f"| {s['p99_ms']} | {s['5xx']} |"
        )
    return [*lines, "", knee(ramp)]


def summary_line(total: Endpoint, statuses: dict[str, int], lost: int) -> str:
    five = sum(n for k, n in statuses.items() if k.rsplit(" ", 1)[1].startswith("5"))
    return (
        f"load: {total.requests} requests, {total.rps:.1f} req/s, p95 {total.p95:.0f} ms, "
        f"5xx {five}, lost {lost}"
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="2 minutes (CI may run it)")
    p.add_argument("--agents", type=int, default=0, help="default: every seeded agent")
    p.add_argument("--staff", type=int, default=10)
    p.add_argument("--dispatchers", type=int, default=0, help="default: one per township")
    p.add_argument("--villagers", type=int, default=5)
    p.add_argument("--replan-every", type=float, default=1200.0, help="s between re-plans")
    p.add_argument("--staff-think", type=float, default=60.0)
    p.add_argument("--cut-syncs", type=int, default=0, help="cut this many syncs mid-request")
    p.add_argument("--duration", type=float, default=0, help="s (quick 120, full peak 600)")
    p.add_argument("--step", type=float, default=60.0, help="s per ramp step (full run)")
    p.add_argument("--step-users", type=int, default=150, help="phones added per ramp step")
    p.add_argument("--port", type=int, default=5161)
    p.add_argument("--pg-url", default=StackConfig.pg_url)
    p.add_argument(
        "--reuse-db", action="store_true", help="keep the database of the last run (debugging)"
    )
    p.add_argument("--out", type=Path, default=None, help="write the table here too")
    args = p.parse_args(argv)
    args.full = not args.quick
    args.duration = args.duration or (120.0 if args.quick else 600.0)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    stack = Stack(StackConfig(port=args.port, pg_url=args.pg_url))
    run_dir = stack.config.run_dir
    print(f"load: stack on {stack.config.base_url}, day {stack.day}, logs in {run_dir}", flush=True)
    started = time.monotonic()
    try:
        stack.start(fresh=not args.reuse_db)
        app = load_app(stack.env())
        pop = build_population(app, stack.day, args.staff)
        args.agents = args.agents or len(pop.agents)
        args.dispatchers = args.dispatchers or len(pop.dispatchers)
        pop_path, ledger_path = run_dir / "population.json", run_dir / "ledger.json"
        pop.write(pop_path)
        ledger_path.unlink(missing_ok=True)
        print(f"load: stack up in {time.monotonic() - started:.0f} s; running Locust", flush=True)
        stats = run_locust(stack, args, pop_path, ledger_path)
        ledger = json.loads(ledger_path.read_text())
        rec = reconcile(app, ledger, date.fromisoformat(pop.day))
    finally:
        stack.stop()
    endpoints, total = peak_endpoints(ledger) if "peak" in ledger else read_stats(stats)
    text = table(endpoints, total, ledger["statuses"], rec, ledger)
    line = summary_line(total, ledger["statuses"], rec.lost_count)
    if ledger.get("ramp"):
        line += f"; {knee(ledger['ramp'])}"
    print(text)
    for example in rec.examples:
        print(f"  lost: {example}")
    if args.out:
        args.out.write_text(text + "\n\n" + line + "\n")
    print(line)
    five = "5xx 0," in line
    return 0 if five and rec.lost_count == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
