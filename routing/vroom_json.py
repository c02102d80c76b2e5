"""VROOM's JSON API format, in and out.

Documented extensions: ``vehicles[].steps`` is a *locked prefix* (VROOM uses it for plan
mode); every unassigned task carries ``reason`` and ``reason_text``; a top-level ``options``
object holds ``time_limit``, ``threads``, ``seed``, ``balance_weight`` and
``solution_limit`` (see :func:`params_from_vroom`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from functools import partial
from typing import Any, TypeVar

import numpy as np

from routing.errors import InputError
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
from routing.solution import REASONS, Route, Solution, Step, Summary, Unassigned

__all__ = [
    "params_from_vroom",
    "problem_from_vroom",
    "problem_to_vroom",
    "solution_from_vroom",
    "solution_to_vroom",
]

T = TypeVar("T")
_PREFER_INDEX: ContextVar[bool] = ContextVar("prefer_index", default=True)
_OPTIONS = ("time_limit", "threads", "seed", "balance_weight", "solution_limit")


def _build(path: str, make: Callable[[], T]) -> T:
    """Run ``make``; turn a ValueError or TypeError into an :class:`InputError` at ``path``."""
    try:
        return make()
    except InputError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        msg = str(exc).strip("'\"")
        raise InputError(
            f"{path}.{msg}" if ":" in msg.split(" ")[0] else f"{path}: {msg}"
        ) from None


def _obj(path: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(f"{path}: expected an object, got {type(value).__name__}")
    return value


def _list(path: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise InputError(f"{path}: expected an array, got {type(value).__name__}")
    return value


def _int(path: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise InputError(f"{path}: expected an integer, got {value!r}")
    return int(value)


def _ints(path: str, value: Any) -> tuple[int, ...]:
    return tuple(_int(f"{path}[{k}]", x) for k, x in enumerate(_list(path, value)))


def _windows(path: str, value: Any) -> tuple[TimeWindow, ...]:
    out = []
    for k, w in enumerate(_list(path, value)):
        pair = _ints(f"{path}[{k}]", w)
        if len(pair) != 2:
            raise InputError(f"{path}[{k}]: expected [start, end]")
        out.append(_build(f"{path}[{k}]", partial(TimeWindow, *pair)))
    return tuple(sorted(out, key=lambda w: w.start))


def _location(path: str, d: Mapping[str, Any], key: str) -> Location | None:
    if f"{key}_index" in d and (_PREFER_INDEX.get() or key not in d):
        return _int(f"{path}.{key}_index", d[f"{key}_index"])
    if key in d:
        pair = _list(f"{path}.{key}", d[key])
        if len(pair) != 2 or not all(isinstance(x, (int, float)) for x in pair):
            raise InputError(f"{path}.{key}: expected [lon, lat]")
        return (float(pair[0]), float(pair[1]))
    return None


def _step(path: str, d: Any) -> ShipmentStep:
    d = _obj(path, d)
    loc = _location(path, d, "location")
    if loc is None:
        raise InputError(f"{path}: location or location_index is required")
    return _build(
        path,
        lambda: ShipmentStep(
            id=_int(f"{path}.id", d.get("id")),
            location=loc,
            setup=_int(f"{path}.setup", d.get("setup", 0)),
            service=_int(f"{path}.service", d.get("service", 0)),
            time_windows=_windows(f"{path}.time_windows", d.get("time_windows", [])),
            description=str(d.get("description", "")),
        ),
    )


def _job(path: str, d: Any) -> Job:
    d = _obj(path, d)
    loc = _location(path, d, "location")
    if loc is None:
        raise InputError(f"{path}: location or location_index is required")
    amount = _ints(f"{path}.amount", d["amount"]) if "amount" in d else ()
    return _build(
        path,
        lambda: Job(
            id=_int(f"{path}.id", d.get("id")),
            location=loc,
            setup=_int(f"{path}.setup", d.get("setup", 0)),
            service=_int(f"{path}.service", d.get("service", 0)),
            delivery=_ints(f"{path}.delivery", d["delivery"]) if "delivery" in d else amount,
            pickup=_ints(f"{path}.pickup", d.get("pickup", [])),
            skills=frozenset(_ints(f"{path}.skills", d.get("skills", []))),
            priority=_int(f"{path}.priority", d.get("priority", 0)),
            time_windows=_windows(f"{path}.time_windows", d.get("time_windows", [])),
            description=str(d.get("description", "")),
        ),
    )


def _shipment(path: str, d: Any) -> Shipment:
    d = _obj(path, d)
    return _build(
        path,
        lambda: Shipment(
            pickup=_step(f"{path}.pickup", d.get("pickup")),
            delivery=_step(f"{path}.delivery", d.get("delivery")),
            amount=_ints(f"{path}.amount", d.get("amount", [])),
            skills=frozenset(_ints(f"{path}.skills", d.get("skills", []))),
            priority=_int(f"{path}.priority", d.get("priority", 0)),
        ),
    )


def _break(path: str, b: Any) -> Break:
    b = _obj(path, b)
    return _build(
        path,
        partial(
            Break,
            id=_int(f"{path}.id", b.get("id")),
            time_windows=_windows(f"{path}.time_windows", b.get("time_windows", [])),
            service=_int(f"{path}.service", b.get("service", 0)),
            description=str(b.get("description", "")),
        ),
    )


def _vehicle(path: str, d: Any) -> Vehicle:
    d = _obj(path, d)
    tw = _ints(f"{path}.time_window", d["time_window"]) if "time_window" in d else None
    if tw is not None and len(tw) != 2:
        raise InputError(f"{path}.time_window: expected [start, end]")
    breaks = tuple(
        _break(f"{path}.breaks[{k}]", b)
        for k, b in enumerate(_list(f"{path}.breaks", d.get("breaks", [])))
    )
    costs = _obj(f"{path}.costs", d.get("costs", {}))
    steps: list[TaskKey] = []
    for k, s in enumerate(_list(f"{path}.steps", d.get("steps", []))):
        s = _obj(f"{path}.steps[{k}]", s)
        if s.get("type") in ("job", "pickup", "delivery"):
            steps.append((str(s["type"]), _int(f"{path}.steps[{k}].id", s.get("id"))))
    limit = {
        k: _int(f"{path}.{k}", d[k]) if d.get(k) is not None else None
        for k in ("max_tasks", "max_travel_time", "max_distance")
    }
    return _build(
        path,
        lambda: Vehicle(
            id=_int(f"{path}.id", d.get("id")),
            profile=str(d.get("profile", "car")),
            start=_location(path, d, "start"),
            end=_location(path, d, "end"),
            capacity=_ints(f"{path}.capacity", d.get("capacity", [])),
            skills=frozenset(_ints(f"{path}.skills", d.get("skills", []))),
            time_window=_build(f"{path}.time_window", lambda: TimeWindow(*tw)) if tw else None,
            breaks=breaks,
            speed_factor=float(d.get("speed_factor", 1.0)),
            costs=_build(
                f"{path}.costs",
                lambda: Costs(
                    fixed=_int(f"{path}.costs.fixed", costs.get("fixed", 0)),
                    per_hour=_int(f"{path}.costs.per_hour", costs.get("per_hour", 3600)),
                    per_km=_int(f"{path}.costs.per_km", costs.get("per_km", 0)),
                ),
            ),
            steps=tuple(steps),
            description=str(d.get("description", "")),
            **limit,
        ),
    )


def problem_from_vroom(data: Any) -> Problem:
    """Parse a VROOM problem (``vehicles``, ``jobs``, ``shipments``, ``matrices``).

    Parameters
    ----------
    data
        The decoded JSON document.

    Returns
    -------
    Problem
        The problem; ``options`` is read separately by :func:`params_from_vroom`.

    Raises
    ------
    InputError
        With the JSON path of the first bad value, e.g.
        ``jobs[3].time_windows[0]: start 500 is after end 100``.
    """
    data = _obj("$", data)
    token = _PREFER_INDEX.set("matrices" in data or "matrix" in data)
    try:
        return _parse_problem(data)
    finally:
        _PREFER_INDEX.reset(token)


def _parse_problem(data: Mapping[str, Any]) -> Problem:
    vehicles = tuple(
        _vehicle(f"vehicles[{k}]", v)
        for k, v in enumerate(_list("vehicles", data.get("vehicles", [])))
    )
    jobs = tuple(_job(f"jobs[{k}]", j) for k, j in enumerate(_list("jobs", data.get("jobs", []))))
    shipments = tuple(
        _shipment(f"shipments[{k}]", s)
        for k, s in enumerate(_list("shipments", data.get("shipments", [])))
    )
    matrices: dict[str, Matrix] | None = None
    if "matrices" in data or "matrix" in data:
        raw = data.get("matrices") or {"car": {"durations": data.get("matrix")}}
        matrices = {str(p): _matrix(f"matrices.{p}", m) for p, m in _obj("matrices", raw).items()}
    return _problem(vehicles, jobs, shipments, matrices)


def _matrix(path: str, m: Any) -> Matrix:
    m = _obj(path, m)
    durations = np.asarray(_list(f"{path}.durations", m.get("durations")), dtype=object)
    distances = m.get("distances")
    return _build(path, partial(Matrix, durations=durations, distances=distances))


def _problem(vehicles: Any, jobs: Any, shipments: Any, matrices: Any) -> Problem:
    try:
        return Problem(vehicles, jobs, shipments, matrices)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def params_from_vroom(data: Any, base: SolveParams | None = None) -> SolveParams:
    """Read the ``options`` extension into :class:`SolveParams` (absent keys keep ``base``)."""
    options = _obj("options", _obj("$", data).get("options", {}))
    values = {k: getattr(base or SolveParams(), k) for k in _OPTIONS}
    for key in _OPTIONS:
        if key in options:
            raw = options[key]
            values[key] = (
                float(raw)
                if key in ("time_limit", "balance_weight")
                else _int(f"options.{key}", raw)
            )
    return _build("options", lambda: SolveParams(**values))


def _loc_out(loc: Location | None, key: str, coords: Any = None) -> dict[str, Any]:
    if loc is None:
        return {}
    if isinstance(loc, int):
        out: dict[str, Any] = {f"{key}_index": loc}
        if coords is not None and loc < len(coords):
            out[key] = list(coords[loc])
        return out
    return {key: list(loc)}


def _tws(windows: tuple[TimeWindow, ...]) -> dict[str, Any]:
    return {"time_windows": [[w.start, w.end] for w in windows]} if windows else {}


def problem_to_vroom(problem: Problem) -> dict[str, Any]:
    """Write a problem in VROOM's JSON format (locked prefixes as ``steps``)."""
    c = problem.locations
    vehicles = []
    for v in problem.vehicles:
        d: dict[str, Any] = {
            "id": v.id,
            "profile": v.profile,
            **_loc_out(v.start, "start", c),
            **_loc_out(v.end, "end", c),
        }
        if v.capacity:
            d["capacity"] = list(v.capacity)
        if v.skills:
            d["skills"] = sorted(v.skills)
        if v.time_window:
            d["time_window"] = [v.time_window.start, v.time_window.end]
        if v.breaks:
            d["breaks"] = [
                {"id": b.id, "service": b.service, **_tws(b.time_windows)} for b in v.breaks
            ]
        for key in ("max_tasks", "max_travel_time", "max_distance"):
            if getattr(v, key) is not None:
                d[key] = getattr(v, key)
        if v.speed_factor != 1.0:
            d["speed_factor"] = v.speed_factor
        if v.costs != Costs():
            d["costs"] = {
                "fixed": v.costs.fixed,
                "per_hour": v.costs.per_hour,
                "per_km": v.costs.per_km,
            }
        if v.steps:
            d["steps"] = [_step_key(problem, k) for k in v.steps]
        if v.description:
            d["description"] = v.description
        vehicles.append(d)
    out: dict[str, Any] = {"vehicles": vehicles, "jobs": [_job_out(j, c) for j in problem.jobs]}
    if problem.shipments:
        out["shipments"] = [
            {
                "pickup": _ship_step_out(s.pickup, c),
                "delivery": _ship_step_out(s.delivery, c),
                "amount": list(s.amount),
                "skills": sorted(s.skills),
                "priority": s.priority,
            }
            for s in problem.shipments
        ]
    if problem.matrices is not None:
        out["matrices"] = {
            p: {
                "durations": m.durations.tolist(),
                **({"distances": m.distances.tolist()} if m.distances is not None else {}),
            }
            for p, m in problem.matrices.items()
        }
    return out


def _step_key(problem: Problem, key: TaskKey) -> dict[str, Any]:
    kind, tid = problem.resolve(key)
    return {"type": kind, "id": tid}


def _job_out(j: Job, coords: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"id": j.id, **_loc_out(j.location, "location", coords)}
    for key in ("setup", "service", "priority"):
        if getattr(j, key):
            d[key] = getattr(j, key)
    for key in ("delivery", "pickup"):
        if getattr(j, key):
            d[key] = list(getattr(j, key))
    if j.skills:
        d["skills"] = sorted(j.skills)
    if j.description:
        d["description"] = j.description
    return {**d, **_tws(j.time_windows)}


def _ship_step_out(s: ShipmentStep, coords: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": s.id,
        **_loc_out(s.location, "location", coords),
        "setup": s.setup,
        "service": s.service,
        **_tws(s.time_windows),
    }
    if s.description:
        d["description"] = s.description
    return d


def _step_out(s: Step) -> dict[str, Any]:
    d: dict[str, Any] = {"type": s.type}
    if s.id is not None:
        d["id"] = s.id
    if s.location is not None:
        d["location"] = list(s.location)
    if s.location_index is not None:
        d["location_index"] = s.location_index
    d.update(
        setup=s.setup,
        service=s.service,
        waiting_time=s.waiting_time,
        load=list(s.load),
        arrival=s.arrival,
        duration=s.duration,
        distance=s.distance,
    )
    if s.description:
        d["description"] = s.description
    return d


def solution_to_vroom(solution: Solution) -> dict[str, Any]:
    """Write a solution as VROOM does, plus ``reason``/``reason_text`` on unassigned tasks."""
    s = solution.summary
    return {
        "code": solution.code,
        "summary": {
            "cost": s.cost,
            "routes": s.routes,
            "unassigned": s.unassigned,
            "delivery": list(s.delivery),
            "amount": list(s.delivery),
            "pickup": list(s.pickup),
            "setup": s.setup,
            "service": s.service,
            "duration": s.duration,
            "waiting_time": s.waiting_time,
            "priority": s.priority,
            "distance": s.distance,
            "violations": [],
            "computing_times": dict(s.computing_times),
        },
        "unassigned": [
            {
                "id": u.id,
                "type": u.type,
                "reason": u.reason,
                "reason_text": u.reason_text or REASONS.get(u.reason, ""),
                **({"location": list(u.location)} if u.location is not None else {}),
                **({"location_index": u.location_index} if u.location_index is not None else {}),
                **({"description": u.description} if u.description else {}),
            }
            for u in solution.unassigned
        ],
        "routes": [
            {
                "vehicle": r.vehicle,
                "cost": r.cost,
                "delivery": list(r.delivery),
                "amount": list(r.delivery),
                "pickup": list(r.pickup),
                "setup": r.setup,
                "service": r.service,
                "duration": r.duration,
                "waiting_time": r.waiting_time,
                "priority": r.priority,
                "distance": r.distance,
                "violations": [],
                "steps": [_step_out(st) for st in r.steps],
                **({"description": r.description} if r.description else {}),
            }
            for r in solution.routes
        ],
    }


def solution_from_vroom(data: Any) -> Solution:
    """Read a VROOM solution (ours or VROOM's own) back into a :class:`Solution`."""
    data = _obj("$", data)
    routes = []
    for k, r in enumerate(_list("routes", data.get("routes", []))):
        path = f"routes[{k}]"
        steps = tuple(
            Step(
                type=st["type"],
                arrival=int(st.get("arrival", 0)),
                duration=int(st.get("duration", 0)),
                distance=int(st.get("distance", 0)),
                load=tuple(st.get("load", [])),
                id=st.get("id"),
                location_index=st.get("location_index"),
                location=tuple(st["location"]) if "location" in st else None,
                setup=int(st.get("setup", 0)),
                service=int(st.get("service", 0)),
                waiting_time=int(st.get("waiting_time", 0)),
                description=str(st.get("description", "")),
            )
            for st in (
                _obj(f"{path}.steps[{j}]", x)
                for j, x in enumerate(_list(f"{path}.steps", r.get("steps", [])))
            )
        )
        routes.append(
            Route(
                vehicle=int(r["vehicle"]),
                steps=steps,
                cost=int(r.get("cost", 0)),
                setup=int(r.get("setup", 0)),
                service=int(r.get("service", 0)),
                duration=int(r.get("duration", 0)),
                waiting_time=int(r.get("waiting_time", 0)),
                priority=int(r.get("priority", 0)),
                delivery=tuple(r.get("delivery", [])),
                pickup=tuple(r.get("pickup", [])),
                distance=int(r.get("distance", 0)),
                description=str(r.get("description", "")),
            )
        )
    unassigned = tuple(
        Unassigned(
            id=int(u["id"]),
            type=u.get("type", "job"),
            reason=str(u.get("reason", "not_fitting")),
            reason_text=str(u.get("reason_text", "")),
            location_index=u.get("location_index"),
            location=tuple(u["location"]) if "location" in u else None,
            description=str(u.get("description", "")),
        )
        for u in data.get("unassigned", [])
    )
    s = _obj("summary", data.get("summary", {}))
    summary = Summary(
        cost=int(s.get("cost", 0)),
        routes=int(s.get("routes", len(routes))),
        unassigned=int(s.get("unassigned", len(unassigned))),
        setup=int(s.get("setup", 0)),
        service=int(s.get("service", 0)),
        duration=int(s.get("duration", 0)),
        waiting_time=int(s.get("waiting_time", 0)),
        priority=int(s.get("priority", 0)),
        delivery=tuple(s.get("delivery", [])),
        pickup=tuple(s.get("pickup", [])),
        distance=int(s.get("distance", 0)),
        computing_times=dict(s.get("computing_times", {})),
    )
    return Solution(
        routes=tuple(routes), unassigned=unassigned, summary=summary, code=int(data.get("code", 0))
    )
