"""Private: a problem flattened into task and location indices, with its matrices built."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from routing.matrix import HaversineProvider, MatrixProvider
from routing.model import (
    Location,
    Problem,
    ShipmentStep,
    TaskKey,
    TaskKind,
    TimeWindow,
    Vehicle,
)

#: Upper bound of every time window when none is given (about 31 years).
HORIZON = 1 << 30


@dataclass
class Task:
    """One stop to serve: a job, a shipment pickup or a shipment delivery."""

    kind: TaskKind
    id: int
    loc: int
    setup: int
    service: int
    windows: list[tuple[int, int]]
    delivery: tuple[int, ...]
    pickup: tuple[int, ...]
    skills: frozenset[int]
    priority: int
    partner: int | None = None
    description: str = ""

    @property
    def delta(self) -> tuple[int, ...]:
        """Change of the vehicle load at this stop (job deliveries are loaded at the start)."""
        if self.kind == "job":
            return tuple(p - d for p, d in zip(self.pickup, self.delivery, strict=True))
        if self.kind == "pickup":
            return self.pickup
        return tuple(-d for d in self.delivery)


@dataclass
class Prepared:
    """Index-based view of a :class:`Problem`."""

    problem: Problem
    tasks: list[Task]
    index: dict[tuple[TaskKind, int], int]
    starts: list[int | None]
    ends: list[int | None]
    durations: dict[str, npt.NDArray[np.int64]]
    distances: dict[str, npt.NDArray[np.int64]]
    coords: list[tuple[float, float]] | None
    dims: int
    _scaled: dict[tuple[str, float], npt.NDArray[np.int64]] = field(default_factory=dict)

    @property
    def vehicles(self) -> tuple[Vehicle, ...]:
        """The problem's vehicles."""
        return self.problem.vehicles

    def durations_of(self, v: int) -> npt.NDArray[np.int64]:
        """Durations of vehicle ``v``'s profile divided by its speed factor."""
        veh = self.vehicles[v]
        key = (veh.profile, veh.speed_factor)
        if key not in self._scaled:
            base = self.durations[veh.profile]
            scaled = base if veh.speed_factor == 1.0 else np.rint(base / veh.speed_factor)
            self._scaled[key] = scaled.astype(np.int64)
        return self._scaled[key]

    def task_of(self, key: TaskKey) -> int:
        """Task index of a public task key."""
        return self.index[self.problem.resolve(key)]

    def window(self, v: int) -> tuple[int, int]:
        """Working window of vehicle ``v``."""
        tw = self.vehicles[v].time_window
        return (tw.start, tw.end) if tw else (0, HORIZON)

    def amount(self, values: tuple[int, ...]) -> tuple[int, ...]:
        """Pad an amount to the problem's number of dimensions."""
        return tuple(values) + (0,) * (self.dims - len(values))


def _windows(tws: tuple[TimeWindow, ...]) -> list[tuple[int, int]]:
    return [(w.start, w.end) for w in tws] or [(0, HORIZON)]


def prepare(problem: Problem, provider: MatrixProvider | None = None) -> Prepared:
    """Flatten ``problem`` and build matrices from coordinates when none are given."""
    coords: list[tuple[float, float]] | None = (
        list(problem.locations) if problem.locations is not None else None
    )
    lookup: dict[tuple[float, float], int] = {}

    def loc_index(loc: Location | None) -> int | None:
        nonlocal coords
        if loc is None or isinstance(loc, int):
            return loc
        if coords is None:
            coords = []
        if not lookup and coords:
            lookup.update({c: i for i, c in reversed(list(enumerate(coords)))})
        pt = (float(loc[0]), float(loc[1]))
        if pt not in lookup:
            lookup[pt] = len(coords)
            coords.append(pt)
        return lookup[pt]

    dims = problem.dimensions
    tasks: list[Task] = []
    for j in problem.jobs:
        tasks.append(
            Task(
                "job",
                j.id,
                _req(loc_index(j.location)),
                j.setup,
                j.service,
                _windows(j.time_windows),
                _pad(j.delivery, dims),
                _pad(j.pickup, dims),
                j.skills,
                j.priority,
                description=j.description,
            )
        )
    for s in problem.shipments:
        amount = _pad(s.amount, dims)
        p, d = len(tasks), len(tasks) + 1
        halves: tuple[tuple[ShipmentStep, TaskKind, int], ...] = (
            (s.pickup, "pickup", d),
            (s.delivery, "delivery", p),
        )
        for step, kind, partner in halves:
            tasks.append(
                Task(
                    kind,
                    step.id,
                    _req(loc_index(step.location)),
                    step.setup,
                    step.service,
                    _windows(step.time_windows),
                    amount,
                    amount,
                    s.skills,
                    s.priority,
                    partner,
                    step.description,
                )
            )
    starts = [loc_index(v.start) for v in problem.vehicles]
    ends = [loc_index(v.end) for v in problem.vehicles]
    durations, distances = _matrices(problem, coords, provider)
    index = {(t.kind, t.id): i for i, t in enumerate(tasks)}
    return Prepared(problem, tasks, index, starts, ends, durations, distances, coords, dims)


def _matrices(
    problem: Problem,
    coords: list[tuple[float, float]] | None,
    provider: MatrixProvider | None,
) -> tuple[dict[str, npt.NDArray[np.int64]], dict[str, npt.NDArray[np.int64]]]:
    durations: dict[str, npt.NDArray[np.int64]] = {}
    distances: dict[str, npt.NDArray[np.int64]] = {}
    profiles = sorted({v.profile for v in problem.vehicles})
    if problem.matrices is not None:
        for p in profiles:
            m = problem.matrices[p]
            durations[p] = m.durations
            distances[p] = m.distances if m.distances is not None else np.zeros_like(m.durations)
        return durations, distances
    provider = provider or HaversineProvider()
    for p in profiles:
        m = provider.matrix(coords or [], p)
        durations[p] = m.durations
        distances[p] = m.distances if m.distances is not None else np.zeros_like(m.durations)
    return durations, distances


def _pad(values: tuple[int, ...], dims: int) -> tuple[int, ...]:
    return tuple(values) + (0,) * (dims - len(values))


def _req(loc: int | None) -> int:
    assert loc is not None
    return loc
