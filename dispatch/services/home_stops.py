"""Past routes that place an agent at a villager's door (TC260's movement tracks): a stop at a
home keeps when and what, and loses where exactly and whose door. Its position goes to
0.01° (about a kilometre, what supervisors see), the villager's name leaves its label, and
the plan's routing documents (VROOM's problem and solution) lose that point the same way.
Used by retention (plans older than their period) and erasure (the erased person's stops)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Select, select

from dispatch.models.applicants import Applicant
from dispatch.models.plans import Plan, PlanRoute, PlanStop
from dispatch.models.session import DbSession
from dispatch.privacy import mask_coordinate

VILLAGER = "村民"


def _home_stops() -> Select[Any]:
    return (
        select(PlanStop)
        .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
        .join(Plan, Plan.id == PlanRoute.plan_id)
        .where(PlanStop.applicant_id.is_not(None))
        .order_by(PlanStop.id)
    )


def stops_before(session: DbSession, day: date) -> list[PlanStop]:
    """The home stops of plans for days before ``day``."""
    return list(session.scalars(_home_stops().where(Plan.day < day)))


def stops_of(session: DbSession, applicant_id: int) -> list[PlanStop]:
    """One villager's home stops."""
    return list(session.scalars(_home_stops().where(PlanStop.applicant_id == applicant_id)))


def blur(session: DbSession, stops: Iterable[PlanStop]) -> int:
    """Blur the stops and their plans' documents in the session; how many stops changed
    (none, a second time)."""
    stops = list(stops)
    names = dict(
        session.execute(
            select(Applicant.id, Applicant.name).where(
                Applicant.id.in_({s.applicant_id for s in stops})
            )
        ).all()
    )
    points: dict[int, set[tuple[float, float]]] = {}
    changed = 0
    for stop in stops:
        before = (stop.lon, stop.lat, stop.label)
        name = names.get(stop.applicant_id or 0)
        label = stop.label.replace(name, VILLAGER) if name else stop.label
        after = (mask_coordinate(stop.lon), mask_coordinate(stop.lat), label)
        if after != before:
            changed += 1
            points.setdefault(stop.route.plan_id, set()).add((stop.lon, stop.lat))
            stop.lon, stop.lat, stop.label = after
    for plan_id, sharp in points.items():
        plan = session.get(Plan, plan_id)
        if plan is not None:
            plan.problem = _blurred(plan.problem, sharp)
            plan.solution = _blurred(plan.solution, sharp)
    return changed


def _blurred(value: Any, sharp: set[tuple[float, float]]) -> Any:
    if isinstance(value, dict):
        return {k: _blurred(v, sharp) for k, v in value.items()}
    if isinstance(value, list):
        point = len(value) == 2 and all(isinstance(v, float) for v in value)
        if point and (value[0], value[1]) in sharp:
            return [mask_coordinate(value[0]), mask_coordinate(value[1])]
        return [_blurred(v, sharp) for v in value]
    return value
