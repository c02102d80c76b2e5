"""``python -m routing solve``: exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from routing import check, problem_from_vroom, solution_from_vroom

DATA = Path(__file__).parents[1] / "data" / "routing"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "routing", "solve", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_solve_writes_a_checked_solution(tmp_path: Path) -> None:
    """Exit 0 and a feasible VROOM solution in the output file."""
    out = tmp_path / "solution.json"
    proc = run(str(DATA / "small.json"), "-o", str(out), "--time-limit", "0.5", "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    problem = problem_from_vroom(json.loads((DATA / "small.json").read_text()))
    solution = solution_from_vroom(json.loads(out.read_text()))
    assert solution.code == 0 and check(problem, solution) == []


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (
            '{"vehicles": [{"id": 1}], "jobs": [{"id": 1, "location": [116.3, 23.5], '
            '"time_windows": [[500, 100]]}]}',
            "jobs[0].time_windows[0]: start 500 is after end 100",
        ),
        ('{"vehicles": [', "$: invalid JSON"),
        ('{"vehicles": [{"id": "x"}]}', "vehicles[0].id: expected an integer"),
        ("[]", "$: expected an object"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, content: str, needle: str) -> None:
    """Exit 2, one line on stderr naming the JSON path, no traceback."""
    path = tmp_path / "problem.json"
    path.write_text(content)
    proc = run(str(path))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and needle in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_missing_file_exits_2(tmp_path: Path) -> None:
    """A file that does not exist is bad input too."""
    proc = run(str(tmp_path / "nope.json"))
    assert proc.returncode == 2 and "nope.json" in proc.stderr
    assert proc.stderr.count("\n") == 1
