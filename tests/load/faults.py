"""A load run for a fault test: the stack started, Locust driving it on a thread while the
test injects its fault, then the ledger reconciled against the database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask

from benchmarks.load.population import Population, build_population, load_app
from benchmarks.load.reconcile import Reconciliation, reconcile
from benchmarks.load.run import parse, run_locust
from benchmarks.load.stack import Stack

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/load_test"


@dataclass
class LoadRun:
    app: Flask
    population: Population
    ledger_path: Path
    locust: Future[Path]

    def finish(self) -> tuple[dict[str, Any], Reconciliation]:
        """Wait for Locust (raising its own error if it wrote no ledger); reconcile."""
        self.locust.result(timeout=180)
        ledger = json.loads(self.ledger_path.read_text())
        return ledger, reconcile(self.app, ledger, date.fromisoformat(self.population.day))


@contextmanager
def load_running(stack: Stack, argv: list[str], run_dir: Path) -> Iterator[LoadRun]:
    """Start ``stack`` and a quick Locust run (``argv``: the runner's options) beside it."""
    args = parse(["--quick", *argv])
    stack.start()
    app = load_app(stack.env())
    pop = build_population(app, stack.day, args.staff)
    args.dispatchers = min(args.dispatchers or len(pop.dispatchers), len(pop.dispatchers))
    pop.write(run_dir / "population.json")
    ledger_path = run_dir / "ledger.json"
    with ThreadPoolExecutor(max_workers=1) as pool:
        locust = pool.submit(run_locust, stack, args, run_dir / "population.json", ledger_path)
        yield LoadRun(app, pop, ledger_path, locust)


def five_hundreds(ledger: dict[str, Any]) -> dict[str, int]:
    """The answers of the run that were 5xx, by endpoint and status."""
    statuses: dict[str, int] = ledger["statuses"]
    return {k: n for k, n in statuses.items() if k.rsplit(" ", 1)[1].startswith("5")}
