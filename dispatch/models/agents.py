"""Agents (代办员), their vehicles and zones, and home-visit appointments."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.applicants import Applicant
from dispatch.models.base import Base, utcnow
from dispatch.models.centres import ServiceCentre
from dispatch.models.regions import Region
from dispatch.models.types import Encrypted

# isoweekday -> ["HH:MM", "HH:MM"] working span.
DEFAULT_SHIFT: dict[str, Any] = {str(d): ["08:00", "18:00"] for d in range(1, 6)}

agent_zone = Table(
    "agent_zone_villages",
    Base.metadata,
    Column("agent_id", ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
    Column("village_id", ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


class AgentLevel(enum.StrEnum):
    VILLAGE = "village"
    TOWNSHIP = "township"


class VehicleKind(enum.StrEnum):
    MOTORBIKE = "motorbike"
    CAR = "car"


class Vehicle(Base):
    __tablename__ = "vehicles"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[VehicleKind] = mapped_column(String(10))
    plate: Mapped[str] = mapped_column(String(16), default="")
    seats: Mapped[int] = mapped_column(default=0)
    bag_capacity: Mapped[int] = mapped_column(default=20)
    home_centre_id: Mapped[int] = mapped_column(ForeignKey("service_centres.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)

    home_centre: Mapped[ServiceCentre] = relationship()


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(Encrypted("agents.phone"))
    level: Mapped[AgentLevel] = mapped_column(String(10))
    # The township the agent works in (dispatch scope); zone villages lie inside it.
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    shift: Mapped[dict[str, Any]] = mapped_column(default=lambda: dict(DEFAULT_SHIFT))
    active: Mapped[bool] = mapped_column(default=True)

    region: Mapped[Region] = relationship()
    vehicle: Mapped[Vehicle | None] = relationship()
    zone: Mapped[list[Region]] = relationship(secondary=agent_zone, order_by=Region.code)


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    DONE = "done"
    CANCELLED = "cancelled"
    MISSED = "missed"


class Appointment(Base):
    """A home visit (预约上门服务) in a booked window."""

    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    status: Mapped[AppointmentStatus] = mapped_column(String(10), default=AppointmentStatus.BOOKED)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    applicant: Mapped[Applicant] = relationship()
