"""The catalogue of service items (事项目录) with the one-time notice of materials."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.models.base import Base


class ServiceItem(Base):
    __tablename__ = "service_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160), default="")
    # The level that decides it: village (on the spot, at the room), township, county or city.
    level: Mapped[str] = mapped_column(String(10))
    in_person: Mapped[bool] = mapped_column(default=False)
    # [{"name": ..., "copies": 1, "original": true}, ...]: the one-time notice (一次性告知).
    materials: Mapped[list[Any]] = mapped_column(default=list)
    promised_days: Mapped[int]
    # How long the agent and an applicant who must appear in person spend at the counter: the
    # car waits, so it sets the ride home (``dispatch.planning.rides``).
    counter_minutes: Mapped[int] = mapped_column(default=30, server_default="30")
    fee_yuan: Mapped[float] = mapped_column(Numeric(10, 2, asdecimal=False), default=0)
    guide: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
