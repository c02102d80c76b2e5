"""The load runner reports Locust's own failure rather than a missing ledger."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.load import run
from benchmarks.load.stack import Stack, StackConfig


def _run(tmp_path: Path) -> str:
    stack = Stack(StackConfig(run_dir=tmp_path))
    args = run.parse(["--quick", "--agents", "1", "--dispatchers", "1", "--duration", "1"])
    with pytest.raises(run.LocustFailed) as failed:
        run.run_locust(stack, args, tmp_path / "population.json", tmp_path / "ledger.json")
    return str(failed.value)


def test_locust_not_installed_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CI's clean clone once installed only [dev], without Locust: the error says so."""
    monkeypatch.setattr(run, "BIN", tmp_path / "bin")
    assert "Locust is not installed" in _run(tmp_path)


def test_a_run_that_writes_no_ledger_raises_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Locust ending before it writes the ledger: the error carries its exit code and log."""
    (tmp_path / "bin").mkdir()
    crashing = tmp_path / "bin" / "locust"
    crashing.write_text("#!/bin/sh\necho 'ImportError: no module named gevent' >&2\nexit 2\n")
    crashing.chmod(0o755)
    monkeypatch.setattr(run, "BIN", tmp_path / "bin")
    message = _run(tmp_path)
    assert "exited with 2 without writing" in message
    assert "ImportError: no module named gevent" in message


RAMP = [
    {"step": 0, "users": 560, "rps": 18.0, "p50_ms": 30, "p95_ms": 240, "p99_ms": 600, "5xx": 0},
    {"step": 1, "users": 710, "rps": 23.1, "p50_ms": 60, "p95_ms": 900, "p99_ms": 1500, "5xx": 0},
    {"step": 2, "users": 860, "rps": 24.0, "p50_ms": 400, "p95_ms": 2100, "p99_ms": 4000, "5xx": 1},
]


@pytest.mark.parametrize(
    ("ramp", "said"),
    [
        (RAMP, "knee: p95 passed 1 s at 860 users (24.0 req/s); last held: 710 users, 23.1 req/s"),
        (RAMP[:2], "knee: not reached in 2 steps; last held: 710 users, 23.1 req/s, p95 900 ms"),
        (RAMP[2:], "knee: p95 passed 1 s at 860 users (24.0 req/s); no step held"),
    ],
)
def test_the_knee_is_the_first_step_whose_p95_passed_1_s(ramp: list, said: str) -> None:  # type: ignore[type-arg]
    """The ramp's knee, and the last step that held, as the table's last line says them."""
    assert run.knee(ramp).startswith(said)
    assert run.ramp_table(ramp)[-1] == run.knee(ramp)
    assert len(run.ramp_table(ramp)) == 2 + len(ramp) + 2


def test_the_full_run_reports_the_peak_alone() -> None:
    """The endpoint table of a full run is the peak's, not the peak's and the ramp's."""
    window = {"requests": 10, "rps": 1.0, "5xx": 0, "p50_ms": 5, "p95_ms": 9, "p99_ms": 9}
    ledger = {"peak": {"endpoints": {"all": window, "GET /api/plans/today": window}}}
    rows, total = run.peak_endpoints(ledger)
    assert [r.name for r in rows] == ["GET /api/plans/today"]
    assert (total.name, total.requests, total.p95, total.rps) == ("all", 10, 9, 1.0)
