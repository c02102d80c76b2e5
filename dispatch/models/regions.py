"""The four administrative levels: city, county, township, village."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.base import Base


class Level(enum.StrEnum):
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


SHORT_LEN = {Level.CITY: 4, Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12}


def code_at(code: str, level: Level) -> str:
    """The full 12-digit code of the region at ``level`` that contains region ``code``."""
    return code[: SHORT_LEN[level]].ljust(12, "0")


def township_code(code: str) -> str:
    """The code of the township a village (or the township itself) lies in."""
    return code_at(code, Level.TOWNSHIP)


def decision_code(code: str, decided_at: str) -> str:
    """The region whose centre decides, for a case in region ``code``, an item decided at
    ``decided_at`` (township, county or city)."""
    return code_at(code, Level(decided_at))


class CoordSource(enum.StrEnum):
    OFFICIAL = "official"
    SYNTHETIC = "synthetic"
    SURVEYED = "surveyed"


class Region(Base):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    level: Mapped[Level] = mapped_column(String(10), index=True)
    subtype: Mapped[str] = mapped_column(String(20), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    coord_source: Mapped[str | None] = mapped_column(String(10))

    parent: Mapped[Region | None] = relationship(remote_side=[id])

    @property
    def short_code(self) -> str:
        """The code at its natural length: a prefix of every code below it."""
        return self.code[: SHORT_LEN[Level(self.level)]]
