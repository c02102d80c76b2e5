"""Read models of plans for people: stops with contacts masked by role and nav links."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dispatch.models.agents import Agent
from dispatch.models.applicants import Applicant
from dispatch.models.plans import Plan, PlanRoute, PlanStop
from dispatch.models.regions import Region
from dispatch.models.session import DbSession
from dispatch.models.users import Scope
from dispatch.planning.geo import nav_links
from dispatch.planning.labels import chinese_label, english_label, strip_role
from dispatch.privacy import Field, Subject, show


def stop_view(stop: PlanStop, role: str, applicants: dict[int, Applicant]) -> dict[str, Any]:
    contact = None
    lon, lat = stop.lon, stop.lat
    if stop.applicant_id and stop.applicant_id in applicants:
        # A stop with an applicant is at their door: its point is their home point.
        a = applicants[stop.applicant_id]
        whose = Subject("applicant", a.id, a.village.code)
        contact = {
            "name": a.name,
            "phone": show(role, Field.PHONE, a.phone, whose),
            "address": show(role, Field.ADDRESS, a.address, whose),
        }
        lon = show(role, Field.HOME_POINT, lon, whose)
        lat = show(role, Field.HOME_POINT, lat, whose)
    return {
        "id": stop.id,
        "seq": stop.seq,
        "kind": stop.kind,
        "task_key": stop.task_key,
        "label": chinese_label(stop.label, stop.kind),
        "label_en": english_label(stop.label, stop.kind),
        "action": stop.action,
        "lon": lon,
        "lat": lat,
        "arrival": stop.arrival,
        "departure": stop.departure,
        "window_start": stop.window_start,
        "window_end": stop.window_end,
        "status": stop.status,
        "fail_reason": stop.fail_reason,
        "contact": contact,
        "nav": nav_links(lon, lat, stop.label),
        "cases": [
            {
                "id": c.id,
                "reference": c.reference,
                "item": c.item.name,
                "item_en": c.item.name_en or c.item.name,
                "status": c.status,
                "materials": c.item.materials,
                "in_person": c.item.in_person,
            }
            for c in stop.cases
        ],
    }


def _agent_phone(role: str, agent: Agent | None) -> str:
    if agent is None:
        return ""
    return show(role, Field.AGENT_PHONE, agent.phone, Subject("agent", agent.id, agent.region.code))  # type: ignore[no-any-return]


def route_view(
    route: PlanRoute, role: str, agents: dict[int, Agent], applicants: dict[int, Applicant]
) -> dict[str, Any]:
    agent = agents.get(route.agent_id)
    return {
        "id": route.id,
        "agent_id": route.agent_id,
        "agent": agent.name if agent else "",
        "agent_phone": _agent_phone(role, agent),
        "vehicle_id": route.vehicle_id,
        "vehicle_kind": agent.vehicle.kind if agent and agent.vehicle else "",
        "start_at": route.start_at,
        "end_at": route.end_at,
        "distance_m": route.distance_m,
        "travel_s": route.travel_s,
        "locked": route.locked,
        "stops": [stop_view(s, role, applicants) for s in route.stops],
    }


def plan_view(
    session: DbSession, plan: Plan, scope: Scope, only_agent: int | None = None
) -> dict[str, Any]:
    routes = [r for r in plan.routes if only_agent is None or r.agent_id == only_agent]
    agent_ids = [r.agent_id for r in routes]
    agents = {
        a.id: a
        for a in session.scalars(
            select(Agent).options(selectinload(Agent.region)).where(Agent.id.in_(agent_ids))
        )
    }
    applicant_ids = {s.applicant_id for r in routes for s in r.stops if s.applicant_id}
    applicants = {
        a.id: a
        for a in session.scalars(
            select(Applicant)
            .options(selectinload(Applicant.village))
            .where(Applicant.id.in_(applicant_ids))
        )
    }
    return {
        "id": plan.id,
        "township_code": plan.township.code,
        "township": plan.township.name,
        "day": plan.day,
        "version": plan.version,
        "status": plan.status,
        "objective": plan.objective,
        "reason": plan.reason,
        "created_at": plan.created_at,
        "published_at": plan.published_at,
        "summary": plan.summary,
        "routes": [route_view(r, scope.role, agents, applicants) for r in routes],
    }


def task_names(plans: Iterable[Plan]) -> dict[str, dict[str, Any]]:
    """Task key -> what a dispatcher calls it: the label in both languages and the case numbers."""
    out: dict[str, dict[str, Any]] = {}
    for plan in plans:
        for stop in (s for r in plan.routes for s in r.stops if s.task_key):
            if stop.task_key not in out:
                task = strip_role(chinese_label(stop.label, stop.kind))
                out[stop.task_key] = {
                    "label": task,
                    "label_en": english_label(task),
                    "cases": [c.reference for c in stop.cases],
                }
    return out


def located_view(session: DbSession, plan: Plan, role: str, document: Any) -> Any:
    """A routing document (VROOM's JSON) with each villager's home point shown by the rule."""
    prefix = plan.township.code[:9]
    homes = {
        (a.lon, a.lat): Subject("applicant", a.id, a.village.code)
        for a in session.scalars(
            select(Applicant)
            .join(Applicant.village)
            .options(selectinload(Applicant.village))
            .where(Region.code.like(f"{prefix}%"))
        )
    }

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            point = len(value) == 2 and all(isinstance(v, float) for v in value)
            whose = homes.get((value[0], value[1])) if point else None
            if whose is not None:
                return [show(role, Field.HOME_POINT, v, whose) for v in value]
            return [walk(v) for v in value]
        return value

    return walk(document)
