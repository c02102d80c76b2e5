"""Daiban routing: vehicles and tasks in, timed routes out (no Flask, no database).

The search runs on OR-Tools (kept private in ``routing._ortools``); input and output follow
VROOM's JSON API, with a locked-prefix ``steps`` extension, ``reason`` codes on unassigned
tasks and a top-level ``options`` object.
"""

from __future__ import annotations

import logging

from routing.checker import Violation, check
from routing.errors import InputError
from routing.matrix import HaversineProvider, MatrixProvider
from routing.model import (
    Break,
    Costs,
    Job,
    Location,
    Matrix,
    Problem,
    Shipment,
    ShipmentStep,
    TaskKey,
    TimeWindow,
    Vehicle,
)
from routing.params import SolveParams
from routing.schedule import evaluate, try_insert
from routing.solution import REASONS, Route, Solution, Step, Summary, Unassigned
from routing.solve import solve
from routing.vroom_json import (
    params_from_vroom,
    problem_from_vroom,
    problem_to_vroom,
    solution_from_vroom,
    solution_to_vroom,
)

__all__ = [
    "REASONS",
    "Break",
    "Costs",
    "HaversineProvider",
    "InputError",
    "Job",
    "Location",
    "Matrix",
    "MatrixProvider",
    "Problem",
    "Route",
    "Shipment",
    "ShipmentStep",
    "Solution",
    "SolveParams",
    "Step",
    "Summary",
    "TaskKey",
    "TimeWindow",
    "Unassigned",
    "Vehicle",
    "Violation",
    "check",
    "evaluate",
    "params_from_vroom",
    "problem_from_vroom",
    "problem_to_vroom",
    "solution_from_vroom",
    "solution_to_vroom",
    "solve",
    "try_insert",
]

logging.getLogger("routing").addHandler(logging.NullHandler())
