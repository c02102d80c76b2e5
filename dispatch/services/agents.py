"""Agents (代办员): their township, zone of villages, weekly shift and vehicle."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select

from dispatch.errors import Invalid
from dispatch.models.agents import Agent, Vehicle
from dispatch.models.regions import Level, Region
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope
from dispatch.privacy import agent_shown
from dispatch.services.access_records import note_answer
from dispatch.services.scoping import field_region, in_region, one_or_404, writable
from dispatch.services.vehicles import scoped_vehicles


def scoped_agents(scope: Scope) -> Select[Any]:
    """Agents of the caller's region or serving a village in it; an agent sees only themself."""
    stmt = select(Agent)
    if scope.role == Role.AGENT:
        return stmt.where(Agent.id == scope.agent_id)
    return stmt.where(or_(Agent.region.has(in_region(scope)), Agent.zone.any(in_region(scope))))


def list_agents(
    scope: Scope, level: str | None = None, active: bool | None = None, village: str | None = None
) -> Select[Any]:
    stmt = scoped_agents(scope)
    if level:
        stmt = stmt.where(Agent.level == level)
    if active is not None:
        stmt = stmt.where(Agent.active == active)
    if village:
        stmt = stmt.where(Agent.zone.any(Region.code == village))
    return stmt.order_by(Agent.id)


def get_agent(session: DbSession, scope: Scope, agent_id: int) -> Agent:
    stmt = scoped_agents(scope).where(Agent.id == agent_id)
    return one_or_404(session, stmt, "代办员 agent", agent_id)  # type: ignore[no-any-return]


def _zone(session: DbSession, township: Region, codes: list[str]) -> list[Region]:
    villages = list(
        session.scalars(
            select(Region).where(
                Region.code.in_(codes),
                Region.parent_id == township.id,
                Region.level == Level.VILLAGE,
            )
        )
    )
    unknown = sorted(set(codes) - {v.code for v in villages})
    if unknown:
        raise Invalid(
            "片区村不在该镇 / Zone villages must lie in the agent's township",
            {"zone": [f"{c} is not a village of {township.code}" for c in unknown]},
        )
    return villages


def _check_vehicle(session: DbSession, scope: Scope, vehicle_id: int | None) -> None:
    if vehicle_id is None:
        return
    found = session.scalar(scoped_vehicles(scope).where(Vehicle.id == vehicle_id))
    if found is None:
        raise Invalid(
            "未知车辆 / Unknown vehicle",
            {"vehicle_id": [f"no vehicle {vehicle_id} in your region"]},
        )


def create_agent(
    session: DbSession, scope: Scope, region: str, zone: list[str], **fields: Any
) -> Agent:
    township = field_region(session, scope, region, "region", {Level.TOWNSHIP})
    _check_vehicle(session, scope, fields.get("vehicle_id"))
    agent = Agent(region_id=township.id, zone=_zone(session, township, zone), **fields)
    session.add(agent)
    note_answer(session, scope, agent_shown, agent)
    session.commit()
    return agent


def update_agent(session: DbSession, scope: Scope, agent: Agent, **fields: Any) -> Agent:
    writable(scope, agent.region.code)
    codes = fields.pop("zone", None)
    if "region" in fields:
        agent.region = field_region(
            session, scope, fields.pop("region"), "region", {Level.TOWNSHIP}
        )
        codes = [v.code for v in agent.zone] if codes is None else codes
    if codes is not None:
        agent.zone = _zone(session, agent.region, codes)
    if "vehicle_id" in fields:
        _check_vehicle(session, scope, fields["vehicle_id"])
    for key, value in fields.items():
        setattr(agent, key, value)
    note_answer(session, scope, agent_shown, agent)
    session.commit()
    return agent
