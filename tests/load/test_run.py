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
