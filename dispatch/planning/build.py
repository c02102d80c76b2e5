"""Turn a township's day (agents, vehicles, tasks, overrides) into a ``routing.Problem``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import routing
from dispatch.errors import Conflict
from dispatch.hours import parse_shift
from dispatch.models.agents import Agent, Vehicle, VehicleKind
from dispatch.planning.tasks import DayContext, Place, TaskSpec
from dispatch.workdays import is_working_day

CAR_SKILL = 1
PIN_SKILL_BASE = 1_000  # + vehicle id: a task pinned to that vehicle
FORBID_SKILL_BASE = 100_000  # + n: held by every vehicle but the forbidden ones
LUNCH_WINDOW = (11 * 3600 + 45 * 60, 14 * 3600)
LUNCH_S = 45 * 60
# Running costs in VROOM's units (per_hour 3600 = 1 per second): the car burns fuel, so
# village errands go to motorbikes unless the car is on its way anyway.
COSTS = {
    VehicleKind.CAR: routing.Costs(fixed=0, per_hour=3600, per_km=1000),
    VehicleKind.MOTORBIKE: routing.Costs(fixed=0, per_hour=3600, per_km=200),
}
# Dimensions: document bags, passenger seats.
DIMENSIONS = ("bags", "seats")


@dataclass
class Overrides:
    pins: dict[str, int] = field(default_factory=dict)  # task key -> agent id
    forbids: dict[str, set[int]] = field(default_factory=dict)  # task key -> agent ids
    absent: set[int] = field(default_factory=set)
    locked: dict[int, list[str]] = field(default_factory=dict)  # agent id -> task keys prefix
    # Re-planning mid-day: agent id -> (lon, lat, seconds) where and when they are free again.
    resume: dict[int, tuple[float, float, int]] = field(default_factory=dict)


@dataclass
class Built:
    problem: routing.Problem
    vehicle_agent: dict[int, int]  # routing vehicle id -> agent id
    task_of: dict[int, tuple[TaskSpec, str]]  # routing task id -> (task, job|pickup|delivery)
    places: dict[int, Place]  # routing task id -> place
    off_shift: list[int]  # agent ids not working today


@dataclass
class _Working:
    """An agent on shift today, with the vehicle they drive and its routing skills."""

    vehicle: Vehicle
    agent: Agent
    window: routing.TimeWindow
    is_car: bool
    skills: set[int]


def shift_window(agent: Agent, day: date) -> routing.TimeWindow | None:
    """The agent's working window today; a 调休 Saturday follows Monday's shift."""
    shift = parse_shift(agent.shift)
    weekday = day.isoweekday()
    if not is_working_day(day):
        return None
    if weekday >= 6 and weekday not in shift:
        weekday = 1
    span = shift.get(weekday)
    if span is None:
        return None
    start, end = span
    return routing.TimeWindow(
        start.hour * 3600 + start.minute * 60, end.hour * 3600 + end.minute * 60
    )


def _windows(place: Place) -> tuple[routing.TimeWindow, ...]:
    return tuple(routing.TimeWindow(a, b) for a, b in place.windows)


def lunch_break(shift: routing.TimeWindow) -> tuple[routing.Break, ...]:
    """A 45-minute lunch inside the shift, if the shift spans midday at all."""
    start = max(LUNCH_WINDOW[0], shift.start)
    end = min(LUNCH_WINDOW[1], shift.end - LUNCH_S)
    if end < start:
        return ()
    return (
        routing.Break(
            id=1,
            time_windows=(routing.TimeWindow(start, end),),
            service=LUNCH_S,
            # Kept as it was: its text changes the seeded solution (see issue 14 notes).
            description="午休 / lunch",
        ),
    )


def _at(place: Place) -> tuple[float, float]:
    return (round(place.lon, 6), round(place.lat, 6))


class NoAgentOnShift(Conflict):
    """The day has no agent with a vehicle on shift: there is nothing to plan with (a 409 for
    planning; booking answers a 422, since no slot of that day can be served)."""

    def __init__(self, township: str, day: date) -> None:
        super().__init__(
            f"{day} {township}没有在岗代办员 / No agent with a vehicle is on shift in "
            f"{township} on {day}; check shifts, absences and the calendar"
        )


def build_problem(ctx: DayContext, tasks: list[TaskSpec], overrides: Overrides) -> Built:
    """Locations are (lon, lat) pairs, so a stored problem can take one more task later."""
    hub = (round(ctx.centre.lon, 6), round(ctx.centre.lat, 6))
    vehicles: list[_Working] = []
    vehicle_agent: dict[int, int] = {}
    off: list[int] = []
    agent_vehicle: dict[int, int] = {}
    for agent in ctx.agents:
        window = shift_window(agent, ctx.day)
        if window is None or agent.id in overrides.absent or agent.vehicle is None:
            off.append(agent.id)
            continue
        if agent.id in overrides.resume:
            _, _, free_at = overrides.resume[agent.id]
            if free_at >= window.end:
                off.append(agent.id)
                continue
            window = routing.TimeWindow(max(window.start, free_at), window.end)
        v = agent.vehicle
        is_car = v.kind == VehicleKind.CAR
        skills = {PIN_SKILL_BASE + v.id} | ({CAR_SKILL} if is_car else set())
        vehicles.append(_Working(v, agent, window, is_car, skills))
        vehicle_agent[v.id] = agent.id
        agent_vehicle[agent.id] = v.id
    # Forbids: each forbidden task gets a skill that every other vehicle holds.
    forbid_skill: dict[str, int] = {}
    for n, (key, agents) in enumerate(sorted(overrides.forbids.items())):
        forbid_skill[key] = FORBID_SKILL_BASE + n
        for row in vehicles:
            if row.agent.id not in agents:
                row.skills.add(FORBID_SKILL_BASE + n)
    jobs: list[routing.Job] = []
    shipments: list[routing.Shipment] = []
    task_of: dict[int, tuple[TaskSpec, str]] = {}
    places: dict[int, Place] = {}
    next_id = 1
    ride_home = {t.ride_out: t.key for t in tasks if t.ride_out}
    for task in tasks:
        skills = set()
        # Both rides of an in-person applicant follow a pin or forbid on either (one car).
        partner = task.ride_out or ride_home.get(task.key)
        keys = (task.key, partner) if partner else (task.key,)
        pinned = next((overrides.pins[k] for k in keys if k in overrides.pins), None)
        # Documents an agent holds, or a villager entrusted to one agent, go with that agent.
        bound = task.held_by_agent if task.held_by_agent is not None else task.entrusted_to
        if bound is not None:
            pinned = bound
        if pinned is not None:
            if pinned not in agent_vehicle:  # its agent is off today; the task waits for them
                if bound is not None:
                    _bound_to_absent(ctx, task, bound)
                continue
            skills.add(PIN_SKILL_BASE + agent_vehicle[pinned])
        skills |= {forbid_skill[k] for k in keys if k in forbid_skill}
        converted = routing_task(task, next_id, skills)
        if isinstance(converted.task, routing.Job):
            jobs.append(converted.task)
        else:
            shipments.append(converted.task)
        task_of.update(converted.task_of)
        places.update(converted.places)
        next_id += len(converted.task_of)
    key_ids = _key_ids(task_of)
    rvehicles = []
    for row in vehicles:
        v, agent = row.vehicle, row.agent
        locked = _locked_steps(overrides.locked.get(agent.id, []), key_ids)
        start = overrides.resume.get(agent.id, (*hub, 0))[:2]
        rvehicles.append(
            routing.Vehicle(
                id=v.id,
                profile="car" if row.is_car else "motorbike",
                start=start,
                end=hub,
                capacity=(v.bag_capacity, v.seats),
                skills=frozenset(row.skills),
                time_window=row.window,
                breaks=lunch_break(row.window),
                costs=COSTS[v.kind],
                steps=locked,
                description=f"{agent.name} ({v.kind})",
            )
        )
    if not rvehicles:
        raise NoAgentOnShift(ctx.township.name, ctx.day)
    problem = routing.Problem(
        vehicles=tuple(rvehicles), jobs=tuple(jobs), shipments=tuple(shipments)
    )
    return Built(problem, vehicle_agent, task_of, places, off)


def _bound_to_absent(ctx: DayContext, task: TaskSpec, agent: int) -> None:
    """Documents with (or entrusted to) an agent who is off today wait for them, and the
    case says so."""
    name = ctx.agent_names.get(agent, f"#{agent}")
    if task.held_by_agent is not None:
        why = f"材料在代办员{name}手中，其今日不在岗 / the documents are with agent {name}, "
    else:
        why = f"村民只委托了代办员{name}，其今日不在岗 / the villager entrusted agent {name} only, "
    for cid in task.case_ids:
        ctx.waiting[cid] = why + "who is not on shift today"


@dataclass
class Converted:
    task: routing.Job | routing.Shipment
    task_of: dict[int, tuple[TaskSpec, str]]
    places: dict[int, Place]


def routing_task(task: TaskSpec, first_id: int, skills: set[int] | None = None) -> Converted:
    """One task as a routing job (``first_id``) or shipment (``first_id`` and the next)."""
    skills = set(skills or ())
    if task.needs_car:
        skills.add(CAR_SKILL)
    amount = (task.bags, task.seats)
    if task.origin is None:
        job = routing.Job(
            id=first_id,
            location=_at(task.place),
            service=task.service_s,
            delivery=amount if task.held_by_agent else (0, 0),
            skills=frozenset(skills),
            priority=task.priority,
            time_windows=_windows(task.place),
            description=task.key,
        )
        return Converted(job, {first_id: (task, "job")}, {first_id: task.place})
    pickup = routing.ShipmentStep(
        id=first_id,
        location=_at(task.origin),
        service=task.service_s,
        time_windows=_windows(task.origin),
        description=f"{task.key}#pickup",
    )
    delivery = routing.ShipmentStep(
        id=first_id + 1,
        location=_at(task.place),
        service=min(task.service_s, 10 * 60)
        if task.drop_service_s is None
        else task.drop_service_s,
        time_windows=_windows(task.place),
        description=f"{task.key}#delivery",
    )
    shipment = routing.Shipment(
        pickup=pickup,
        delivery=delivery,
        amount=amount,
        skills=frozenset(skills),
        priority=task.priority,
    )
    return Converted(
        shipment,
        {first_id: (task, "pickup"), first_id + 1: (task, "delivery")},
        {first_id: task.origin, first_id + 1: task.place},
    )


def _locked_steps(
    keys: list[str], key_ids: dict[str, list[routing.TaskKey]]
) -> tuple[routing.TaskKey, ...]:
    """A lock's stops in order: a task key listed once per stop takes its ids in turn (a
    shipment's pickup, then its delivery); a key no longer planned is skipped."""
    used: dict[str, int] = {}
    out: list[routing.TaskKey] = []
    for key in keys:
        ids, n = key_ids.get(key, []), used.get(key, 0)
        if n < len(ids):
            out.append(ids[n])
            used[key] = n + 1
    return tuple(out)


def _key_ids(task_of: dict[int, tuple[TaskSpec, str]]) -> dict[str, list[routing.TaskKey]]:
    out: dict[str, list[routing.TaskKey]] = {}
    for tid, (task, role) in sorted(task_of.items()):
        out.setdefault(task.key, []).append(tid if role == "job" else (role, tid))
    return out
