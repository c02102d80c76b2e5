"""VROOM JSON in and out: round trips and error paths."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from routing import (
    InputError,
    SolveParams,
    check,
    params_from_vroom,
    problem_from_vroom,
    problem_to_vroom,
    solution_from_vroom,
    solution_to_vroom,
    solve,
)

DATA = Path(__file__).parents[1] / "data" / "routing"


def small() -> dict[str, Any]:
    """The small VROOM fixture."""
    data: dict[str, Any] = json.loads((DATA / "small.json").read_text())
    return data


def test_problem_round_trip() -> None:
    """Parsing what we wrote gives the same problem."""
    problem = problem_from_vroom(small())
    again = problem_from_vroom(json.loads(json.dumps(problem_to_vroom(problem))))
    assert again == problem
    assert problem.vehicles[1].steps == (("job", 2),)
    assert problem.jobs[0].time_windows[1].start == 52200


def test_options_become_params() -> None:
    """The options extension fills SolveParams."""
    params = params_from_vroom(small())
    assert params == SolveParams(time_limit=0.5, seed=3, balance_weight=0.5)


def test_solution_round_trip_and_shape() -> None:
    """A solution survives to_vroom/from_vroom and has VROOM's keys plus reasons."""
    problem = problem_from_vroom(small())
    solution = solve(problem, params_from_vroom(small()))
    out = solution_to_vroom(solution)
    assert out["code"] == 0
    assert {"cost", "routes", "unassigned", "duration", "distance"} <= out["summary"].keys()
    step = out["routes"][0]["steps"][1]
    assert {"type", "arrival", "duration", "waiting_time", "load", "distance"} <= step.keys()
    back = solution_from_vroom(json.loads(json.dumps(out)))
    assert back.routes == solution.routes and back.unassigned == solution.unassigned
    assert check(problem, back) == []


def _set(data: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["jobs", 0, "time_windows", 0], [500, 100], "jobs[0].time_windows[0]: start 500 is after"),
        (["jobs", 1, "location_index"], 99, "jobs[1].location: index 99"),
        (["jobs", 2, "service"], "long", "jobs[2].service: expected an integer"),
        (["jobs", 2, "priority"], 500, "jobs[2].priority: 500"),
        (["vehicles", 0, "capacity"], [4], "vehicles[0].capacity"),
        (["vehicles", 0, "time_window"], [5], "vehicles[0].time_window: expected [start, end]"),
        (["vehicles", 1, "profile"], "truck", "vehicles[1].profile: no matrix"),
        (["vehicles", 1, "steps"], [{"type": "job", "id": 42}], "vehicles[1].steps[0]"),
        (["shipments", 0, "pickup"], {"id": 1}, "shipments[0].pickup: location"),
        (["vehicles", 0, "breaks", 0, "service"], -5, "vehicles[0].breaks[0].service: -5"),
        (["matrices", "motorbike", "durations"], [[0, 1], [1, 0]], "outside the 2 known"),
        (["jobs"], {"id": 1}, "jobs: expected an array"),
    ],
)
def test_bad_input_names_the_json_path(path: list[Any], value: Any, message: str) -> None:
    """Every bad value raises InputError whose message starts at its JSON path."""
    with pytest.raises(InputError) as err:
        problem_from_vroom(_set(small(), path, value))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_duplicate_job_ids_are_rejected() -> None:
    """Two jobs with one id are an input error."""
    data = small()
    data["jobs"][1]["id"] = 1
    with pytest.raises(InputError, match="jobs: duplicate ids"):
        problem_from_vroom(data)
