"""Vehicles (motorbikes and cars) kept at a home centre."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from dispatch.errors import Invalid
from dispatch.models.agents import Agent, Vehicle
from dispatch.models.centres import ServiceCentre
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope
from dispatch.services.scoping import in_region, one_or_404, writable


def scoped_vehicles(scope: Scope) -> Select[Any]:
    """Vehicles kept in the caller's region; an agent sees only the one they ride."""
    stmt = select(Vehicle)
    if scope.role == Role.AGENT:
        ridden = select(Agent.vehicle_id).where(Agent.id == scope.agent_id)
        return stmt.where(Vehicle.id.in_(ridden))
    return stmt.where(Vehicle.home_centre.has(ServiceCentre.region.has(in_region(scope))))


def list_vehicles(
    scope: Scope, kind: str | None = None, active: bool | None = None, centre: int | None = None
) -> Select[Any]:
    stmt = scoped_vehicles(scope)
    if kind:
        stmt = stmt.where(Vehicle.kind == kind)
    if active is not None:
        stmt = stmt.where(Vehicle.active == active)
    if centre:
        stmt = stmt.where(Vehicle.home_centre_id == centre)
    return stmt.order_by(Vehicle.id)


def get_vehicle(session: DbSession, scope: Scope, vehicle_id: int) -> Vehicle:
    stmt = scoped_vehicles(scope).where(Vehicle.id == vehicle_id)
    return one_or_404(session, stmt, "车辆 vehicle", vehicle_id)  # type: ignore[no-any-return]


def _home_centre(session: DbSession, scope: Scope, centre_id: int) -> ServiceCentre:
    centre = session.scalar(
        select(ServiceCentre)
        .join(ServiceCentre.region)
        .where(ServiceCentre.id == centre_id, in_region(scope))
    )
    if centre is None:
        raise Invalid(
            "未知服务中心 / Unknown centre",
            {"home_centre_id": [f"no centre {centre_id} in your region"]},
        )
    return centre


def create_vehicle(session: DbSession, scope: Scope, home_centre_id: int, **fields: Any) -> Vehicle:
    vehicle = Vehicle(home_centre=_home_centre(session, scope, home_centre_id), **fields)
    session.add(vehicle)
    session.commit()
    return vehicle


def update_vehicle(session: DbSession, scope: Scope, vehicle: Vehicle, **fields: Any) -> Vehicle:
    writable(scope, vehicle.home_centre.region.code)
    if "home_centre_id" in fields:
        vehicle.home_centre = _home_centre(session, scope, fields.pop("home_centre_id"))
    for key, value in fields.items():
        setattr(vehicle, key, value)
    session.commit()
    return vehicle
