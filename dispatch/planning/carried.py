"""Deliveries still owed at a re-plan: what an agent has picked up and still carries.

A shipment whose pickup is done (or under way) in the published plan has put its documents,
or an applicant, in that agent's vehicle. The re-plan keeps the pickup in the route's history
(``service._keep_history``) and must still take the load where it was going, on the same
vehicle. So the open delivery becomes a job pinned to that agent, loaded from the start
(VROOM's ``delivery`` amount), with the windows and service time the stored problem gave it.
It keeps its task key and is stored as a ``delivery`` stop, so a phone's report about the old
stop still finds it.
"""

from __future__ import annotations

from dataclasses import dataclass

import routing
from dispatch.models.plans import Plan, PlanStop, StopStatus
from dispatch.planning.build import CAR_SKILL
from dispatch.planning.labels import strip_role
from dispatch.planning.tasks import Place, TaskSpec

STARTED = (StopStatus.DONE, StopStatus.ARRIVED)
CARRIED_PRIORITY = 100  # the load is on board: taking it on is not optional


@dataclass(frozen=True)
class _Drop:
    """Where and how a delivery was to be made, as the stored problem said."""

    location: routing.Location
    windows: tuple[tuple[int, int], ...]
    service: int
    amount: tuple[int, ...]
    needs_car: bool


def carried_tasks(base: Plan | None) -> list[TaskSpec]:
    """The open deliveries of shipments picked up in ``base``, each held by its agent."""
    if base is None:
        return []
    drops = _drops(routing.problem_from_vroom(base.problem))
    out = []
    for route in base.routes:
        stops = [s for s in route.stops if s.task_key]
        picked = {s.task_key for s in stops if s.kind == "pickup" and s.status in STARTED}
        for stop in stops:
            if stop.kind != "delivery" or stop.task_key not in picked or stop.status in STARTED:
                continue
            drop = drops.get(stop.task_key or "")
            if drop is not None:
                out.append(_task(stop, drop, route.agent_id))
    return out


def _drops(problem: routing.Problem) -> dict[str, _Drop]:
    """Task key -> its delivery: a shipment's second half, or a job carried once before."""
    out = {}
    for s in problem.shipments:
        key = s.delivery.description.removesuffix("#delivery")
        out[key] = _Drop(
            s.delivery.location,
            tuple((w.start, w.end) for w in s.delivery.time_windows),
            s.delivery.service,
            s.amount,
            CAR_SKILL in s.skills,
        )
    for j in problem.jobs:
        out[j.description] = _Drop(
            j.location,
            tuple((w.start, w.end) for w in j.time_windows),
            j.service,
            j.delivery,
            CAR_SKILL in j.skills,
        )
    return out


def _task(stop: PlanStop, drop: _Drop, agent_id: int) -> TaskSpec:
    label = strip_role(stop.label)
    lon, lat = drop.location if isinstance(drop.location, tuple) else (stop.lon, stop.lat)
    bags, seats = (tuple(drop.amount) + (0, 0))[:2]
    return TaskSpec(
        key=stop.task_key or "",
        label=label,
        place=Place(
            lon,
            lat,
            label,
            drop.windows,
            centre_id=stop.centre_id,
            village_id=stop.village_id,
            applicant_id=stop.applicant_id,
        ),
        action=stop.action or "hand_over",
        case_ids=tuple(c.id for c in stop.cases),
        service_s=drop.service,
        bags=bags,
        seats=seats,
        needs_car=drop.needs_car,
        priority=CARRIED_PRIORITY,
        held_by_agent=agent_id,
        carried=True,
    )
