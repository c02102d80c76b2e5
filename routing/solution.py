"""Frozen output dataclasses, shaped like VROOM's solution JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

__all__ = ["Route", "Solution", "Step", "StepType", "Summary", "Unassigned", "REASONS"]

StepType: TypeAlias = Literal["start", "job", "pickup", "delivery", "break", "end"]

#: Reason codes on unassigned tasks (our extension to VROOM's output) and their meaning.
REASONS: Mapping[str, str] = {
    "no_vehicle_with_skills": "no vehicle has all the skills this task needs",
    "capacity": "the amount exceeds the capacity of every vehicle with the skills",
    "time_window_unreachable": "no vehicle can reach the task within its time windows and "
    "return within its working window",
    "max_travel_time": "every suitable vehicle would exceed its max_travel_time",
    "max_distance": "every suitable vehicle would exceed its max_distance",
    "max_tasks": "every suitable vehicle has max_tasks 0",
    "priority_dropped": "left out so that tasks of higher priority fit",
    "not_fitting": "feasible alone, but did not fit into the routes found in the time limit",
    "not_inserted": "no feasible insertion position in the existing routes",
}


@dataclass(frozen=True)
class Step:
    """One stop of a route; ``duration`` is the cumulative travel time, ``load`` after it."""

    type: StepType
    arrival: int
    duration: int
    distance: int
    load: tuple[int, ...]
    id: int | None = None
    location_index: int | None = None
    location: tuple[float, float] | None = None
    setup: int = 0
    service: int = 0
    waiting_time: int = 0
    description: str = ""


@dataclass(frozen=True)
class Route:
    """The timed route of one vehicle."""

    vehicle: int
    steps: tuple[Step, ...]
    cost: int
    setup: int
    service: int
    duration: int
    waiting_time: int
    priority: int
    delivery: tuple[int, ...]
    pickup: tuple[int, ...]
    distance: int
    description: str = ""


@dataclass(frozen=True)
class Unassigned:
    """A task left out, with a reason code from :data:`REASONS` and a sentence."""

    id: int
    type: Literal["job", "pickup", "delivery"]
    reason: str
    reason_text: str = ""
    location_index: int | None = None
    location: tuple[float, float] | None = None
    description: str = ""


@dataclass(frozen=True)
class Summary:
    """Totals over all routes, as in VROOM's ``summary``."""

    cost: int = 0
    routes: int = 0
    unassigned: int = 0
    setup: int = 0
    service: int = 0
    duration: int = 0
    waiting_time: int = 0
    priority: int = 0
    delivery: tuple[int, ...] = ()
    pickup: tuple[int, ...] = ()
    distance: int = 0
    computing_times: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Solution:
    """A solution: ``code`` 0, the routes, the unassigned tasks and a summary."""

    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    summary: Summary
    code: int = 0

    def route_of(self, vehicle_id: int) -> Route | None:
        """Return the route of ``vehicle_id``, or ``None`` when it is unused."""
        return next((r for r in self.routes if r.vehicle == vehicle_id), None)

    def orders(self) -> dict[int, list[tuple[str, int]]]:
        """Return ``{vehicle id: [(kind, task id), ...]}`` for every route."""
        return {
            r.vehicle: [
                (s.type, s.id)
                for s in r.steps
                if s.type in ("job", "pickup", "delivery") and s.id is not None
            ]
            for r in self.routes
        }
