"""Service centres (政务服务中心 / 便民服务室), their hours and closed days."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.base import Base
from dispatch.models.regions import Region

# isoweekday -> list of [open, close] "HH:MM" spans; Mon-Fri with a midday closure.
DEFAULT_HOURS: dict[str, Any] = {
    str(d): [["08:30", "12:00"], ["14:30", "17:30"]] for d in range(1, 6)
}


class CentreKind(enum.StrEnum):
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


class ServiceCentre(Base):
    __tablename__ = "service_centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    kind: Mapped[CentreKind] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200), default="")
    lon: Mapped[float]
    lat: Mapped[float]
    opening_hours: Mapped[dict[str, Any]] = mapped_column(default=lambda: dict(DEFAULT_HOURS))
    # Whether the centre follows the national calendar (closed on holidays, open on 调休 days).
    follows_holidays: Mapped[bool] = mapped_column(default=True)

    region: Mapped[Region] = relationship()
    closed_days: Mapped[list[ClosedDay]] = relationship(
        back_populates="centre", cascade="all, delete-orphan", order_by="ClosedDay.day"
    )


class ClosedDay(Base):
    __tablename__ = "centre_closed_days"
    __table_args__ = (UniqueConstraint("centre_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("service_centres.id", ondelete="CASCADE"))
    day: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200), default="")

    centre: Mapped[ServiceCentre] = relationship(back_populates="closed_days")
