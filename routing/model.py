"""Frozen input dataclasses: vehicles, tasks, matrices and the problem that holds them.

Times are integer seconds, distances integer metres and coordinates ``(lon, lat)`` WGS-84.
A location is either an ``int`` index into the matrices (or into ``Problem.locations``) or a
``(lon, lat)`` pair. Every ``__post_init__`` raises a ``ValueError`` naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "Break",
    "Costs",
    "Job",
    "Location",
    "Matrix",
    "Problem",
    "Shipment",
    "ShipmentStep",
    "TaskKey",
    "TaskKind",
    "TimeWindow",
    "Vehicle",
]

Coordinates: TypeAlias = tuple[float, float]
Location: TypeAlias = int | Coordinates
TaskKind: TypeAlias = Literal["job", "pickup", "delivery"]
#: A task reference: a bare id when unambiguous, else ``("pickup", 7)`` and the like.
TaskKey: TypeAlias = int | tuple[str, int]
TASK_KINDS: tuple[TaskKind, ...] = ("job", "pickup", "delivery")


def _check_location(name: str, loc: Location | None, optional: bool = False) -> None:
    if loc is None:
        if not optional:
            raise ValueError(f"{name}: a location is required")
        return
    if isinstance(loc, bool):
        raise ValueError(f"{name}: {loc!r} is not a location")
    if isinstance(loc, int):
        if loc < 0:
            raise ValueError(f"{name}: index {loc} is negative")
        return
    if len(loc) != 2:
        raise ValueError(f"{name}: {loc!r} is not a (lon, lat) pair")
    lon, lat = loc
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(f"{name}: ({lon}, {lat}) is not a valid (lon, lat)")


def _check_amounts(name: str, amounts: tuple[int, ...]) -> None:
    for k, a in enumerate(amounts):
        if a < 0:
            raise ValueError(f"{name}[{k}]: amount {a} is negative")


def _check_nonnegative(**values: int | float | None) -> None:
    for name, value in values.items():
        if value is not None and value < 0:
            raise ValueError(f"{name}: {value} is negative")


def _check_windows(windows: tuple[TimeWindow, ...]) -> None:
    for k in range(1, len(windows)):
        if windows[k].start < windows[k - 1].end:
            raise ValueError(
                f"time_windows[{k}]: windows must be sorted and disjoint "
                f"({windows[k].start} < {windows[k - 1].end})"
            )


@dataclass(frozen=True)
class TimeWindow:
    """A closed interval ``[start, end]`` of allowed service start times, in seconds."""

    start: int
    end: int

    def __post_init__(self) -> None:
        _check_nonnegative(start=self.start, end=self.end)
        if self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")


@dataclass(frozen=True)
class Break:
    """A driver break: one of ``time_windows`` holds its start; it lasts ``service`` seconds."""

    id: int
    time_windows: tuple[TimeWindow, ...] = ()
    service: int = 0
    description: str = ""

    def __post_init__(self) -> None:
        _check_nonnegative(service=self.service)
        _check_windows(self.time_windows)


@dataclass(frozen=True)
class Costs:
    """VROOM vehicle costs: a fixed cost when used, plus per hour of travel and per km."""

    fixed: int = 0
    per_hour: int = 3600
    per_km: int = 0

    def __post_init__(self) -> None:
        _check_nonnegative(fixed=self.fixed, per_hour=self.per_hour, per_km=self.per_km)


@dataclass(frozen=True)
class Vehicle:
    """A vehicle (an agent on a motorbike, a car ...).

    ``steps`` is our extension: a *locked prefix* of task keys that must stay first on this
    vehicle, in this order (stops done or under way). VROOM uses ``steps`` for plan mode.
    """

    id: int
    profile: str = "car"
    start: Location | None = None
    end: Location | None = None
    capacity: tuple[int, ...] = ()
    skills: frozenset[int] = frozenset()
    time_window: TimeWindow | None = None
    breaks: tuple[Break, ...] = ()
    speed_factor: float = 1.0
    max_tasks: int | None = None
    max_travel_time: int | None = None
    max_distance: int | None = None
    costs: Costs = field(default_factory=Costs)
    steps: tuple[TaskKey, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        _check_location("start", self.start, optional=True)
        _check_location("end", self.end, optional=True)
        _check_amounts("capacity", self.capacity)
        _check_nonnegative(
            max_tasks=self.max_tasks,
            max_travel_time=self.max_travel_time,
            max_distance=self.max_distance,
        )
        if not 0.0 < self.speed_factor <= 5.0:
            raise ValueError(f"speed_factor: {self.speed_factor} is not in (0, 5]")
        ids = [b.id for b in self.breaks]
        if len(set(ids)) != len(ids):
            raise ValueError(f"breaks: duplicate break ids {ids}")


@dataclass(frozen=True)
class Job:
    """A single-stop task; ``delivery`` is loaded at the vehicle start, ``pickup`` brought back."""

    id: int
    location: Location
    setup: int = 0
    service: int = 0
    delivery: tuple[int, ...] = ()
    pickup: tuple[int, ...] = ()
    skills: frozenset[int] = frozenset()
    priority: int = 0
    time_windows: tuple[TimeWindow, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        _check_location("location", self.location)
        _check_nonnegative(setup=self.setup, service=self.service)
        _check_amounts("delivery", self.delivery)
        _check_amounts("pickup", self.pickup)
        if not 0 <= self.priority <= 100:
            raise ValueError(f"priority: {self.priority} is not in [0, 100]")
        _check_windows(self.time_windows)


@dataclass(frozen=True)
class ShipmentStep:
    """The pickup or the delivery half of a shipment."""

    id: int
    location: Location
    setup: int = 0
    service: int = 0
    time_windows: tuple[TimeWindow, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        _check_location("location", self.location)
        _check_nonnegative(setup=self.setup, service=self.service)
        _check_windows(self.time_windows)


@dataclass(frozen=True)
class Shipment:
    """Goods or a passenger carried from ``pickup`` to ``delivery`` by one vehicle."""

    pickup: ShipmentStep
    delivery: ShipmentStep
    amount: tuple[int, ...] = ()
    skills: frozenset[int] = frozenset()
    priority: int = 0

    def __post_init__(self) -> None:
        _check_amounts("amount", self.amount)
        if not 0 <= self.priority <= 100:
            raise ValueError(f"priority: {self.priority} is not in [0, 100]")


def _as_matrix(name: str, values: Any) -> npt.NDArray[np.int64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name}: expected a square matrix, got shape {arr.shape}")
    if arr.size and (not np.isfinite(arr).all() or arr.min() < 0):
        raise ValueError(f"{name}: values must be finite and non-negative")
    out = np.rint(arr).astype(np.int64)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Matrix:
    """Travel durations (s) and optionally distances (m) between location indices."""

    durations: npt.NDArray[np.int64]
    distances: npt.NDArray[np.int64] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "durations", _as_matrix("durations", self.durations))
        if self.distances is not None:
            dist = _as_matrix("distances", self.distances)
            if dist.shape != self.durations.shape:
                raise ValueError(
                    f"distances: shape {dist.shape} differs from durations {self.durations.shape}"
                )
            object.__setattr__(self, "distances", dist)

    @property
    def size(self) -> int:
        """Number of locations."""
        return int(self.durations.shape[0])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Matrix):
            return NotImplemented
        same_dist = (self.distances is None and other.distances is None) or (
            self.distances is not None
            and other.distances is not None
            and np.array_equal(self.distances, other.distances)
        )
        return same_dist and np.array_equal(self.durations, other.durations)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Problem:
    """A routing problem.

    With ``matrices`` every location must be an index into them. Without, locations may be
    ``(lon, lat)`` pairs, or indices into ``locations``; matrices are then built by a
    :class:`routing.matrix.MatrixProvider`.
    """

    vehicles: tuple[Vehicle, ...]
    jobs: tuple[Job, ...] = ()
    shipments: tuple[Shipment, ...] = ()
    matrices: Mapping[str, Matrix] | None = None
    locations: tuple[Coordinates, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("vehicles", "jobs", "shipments"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.locations is not None:
            object.__setattr__(self, "locations", tuple(tuple(p) for p in self.locations))
        if not self.vehicles:
            raise ValueError("vehicles: at least one vehicle is required")
        _check_unique("vehicles", [v.id for v in self.vehicles])
        _check_unique("jobs", [j.id for j in self.jobs])
        _check_unique("shipments[].pickup", [s.pickup.id for s in self.shipments])
        _check_unique("shipments[].delivery", [s.delivery.id for s in self.shipments])
        self._check_locations()
        self._check_dimensions()
        self._check_steps()

    def _located(self) -> list[tuple[str, Location | None, str]]:
        out: list[tuple[str, Location | None, str]] = []
        for i, v in enumerate(self.vehicles):
            out += [(f"vehicles[{i}].start", v.start, v.profile)]
            out += [(f"vehicles[{i}].end", v.end, v.profile)]
        for i, j in enumerate(self.jobs):
            out.append((f"jobs[{i}].location", j.location, ""))
        for i, s in enumerate(self.shipments):
            out.append((f"shipments[{i}].pickup.location", s.pickup.location, ""))
            out.append((f"shipments[{i}].delivery.location", s.delivery.location, ""))
        return out

    def _check_locations(self) -> None:
        if self.matrices is not None:
            sizes = {p: m.size for p, m in self.matrices.items()}
            for i, v in enumerate(self.vehicles):
                if v.profile not in sizes:
                    raise ValueError(f"vehicles[{i}].profile: no matrix for profile {v.profile!r}")
            limit = min(sizes.values()) if sizes else 0
        else:
            limit = len(self.locations) if self.locations is not None else 0
        for name, loc, _ in self._located():
            if isinstance(loc, int) and loc >= limit:
                raise ValueError(f"{name}: index {loc} is outside the {limit} known locations")
            if isinstance(loc, tuple) and self.matrices is not None:
                raise ValueError(f"{name}: coordinates given but matrices need an index")

    def _check_dimensions(self) -> None:
        dims = {len(j.delivery) for j in self.jobs if j.delivery}
        dims |= {len(j.pickup) for j in self.jobs if j.pickup}
        dims |= {len(s.amount) for s in self.shipments if s.amount}
        if len(dims) > 1:
            raise ValueError(f"jobs: inconsistent numbers of amount dimensions {sorted(dims)}")
        want = max(dims | {len(v.capacity) for v in self.vehicles})
        for i, v in enumerate(self.vehicles):
            if len(v.capacity) != want:
                raise ValueError(
                    f"vehicles[{i}].capacity: {len(v.capacity)} dimensions, expected {want}"
                )

    def _check_steps(self) -> None:
        seen: set[tuple[str, int]] = set()
        for i, v in enumerate(self.vehicles):
            for k, key in enumerate(v.steps):
                where = f"vehicles[{i}].steps[{k}]"
                resolved = self.resolve(key, where)
                if resolved in seen:
                    raise ValueError(f"{where}: task {key!r} is locked twice")
                seen.add(resolved)

    @property
    def dimensions(self) -> int:
        """Number of capacity dimensions."""
        lens = [len(v.capacity) for v in self.vehicles]
        lens += [len(j.delivery) for j in self.jobs] + [len(j.pickup) for j in self.jobs]
        lens += [len(s.amount) for s in self.shipments]
        return max(lens, default=0)

    def resolve(self, key: TaskKey, where: str = "task") -> tuple[TaskKind, int]:
        """Turn a task key into ``(kind, id)``; raise ``ValueError`` if unknown or ambiguous."""
        ids = _task_ids(self)
        if isinstance(key, tuple):
            kind, tid = key
            if kind not in ids or tid not in ids[kind]:
                raise ValueError(f"{where}: unknown task {key!r}")
            return kind, tid  # type: ignore[return-value]
        found = [kind for kind in TASK_KINDS if key in ids[kind]]
        if not found:
            raise ValueError(f"{where}: unknown task id {key}")
        if len(found) > 1:
            raise ValueError(f"{where}: id {key} is ambiguous ({', '.join(found)}); use (kind, id)")
        return found[0], key


def _check_unique(name: str, ids: list[int]) -> None:
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"{name}: duplicate ids {dup}")


def _task_ids(problem: Problem) -> dict[str, set[int]]:
    cached: dict[str, set[int]] | None = problem.__dict__.get("_ids")
    if cached is None:
        cached = {
            "job": {j.id for j in problem.jobs},
            "pickup": {s.pickup.id for s in problem.shipments},
            "delivery": {s.delivery.id for s in problem.shipments},
        }
        object.__setattr__(problem, "_ids", cached)
    return cached
