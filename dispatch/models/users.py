"""Users, their roles and revoked tokens."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.base import Base, utcnow
from dispatch.models.regions import Region
from dispatch.models.types import Encrypted


class Role(enum.StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    DISPATCHER = "dispatcher"
    AGENT = "agent"
    VILLAGE_STAFF = "village_staff"


@dataclass(frozen=True)
class Scope:
    """Who is asking, and which part of the city they may see.

    ``prefix`` is the region's short NBS code: every code below a region starts with it, so
    scoping is one ``LIKE 'prefix%'``. An empty prefix is the whole city.
    """

    user_id: int
    username: str
    role: Role
    prefix: str
    agent_id: int | None = None

    def covers(self, code: str) -> bool:
        return code.startswith(self.prefix)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(String(20))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), unique=True)
    # Staff's mobile for the SMS that reach them (overdue rectifications); "" is none.
    phone: Mapped[str] = mapped_column(Encrypted("users.phone"), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region: Mapped[Region | None] = relationship()


class RevokedToken(Base):
    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
