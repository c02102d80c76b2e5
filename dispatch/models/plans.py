"""Daily plans: versioned routes per agent, their stops, and dispatcher overrides."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from dispatch.models.agents import Agent
from dispatch.models.base import Base, utcnow
from dispatch.models.regions import Region
from dispatch.models.types import EncryptedFloat, EncryptedJSON
from dispatch.models.users import User


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class StopStatus(enum.StrEnum):
    PLANNED = "planned"
    ARRIVED = "arrived"
    DONE = "done"
    FAILED = "failed"


stop_cases = Table(
    "plan_stop_cases",
    Base.metadata,
    Column("stop_id", ForeignKey("plan_stops.id", ondelete="CASCADE"), primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Plan(Base):
    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("township_id", "day", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    day: Mapped[date]
    version: Mapped[int]
    status: Mapped[PlanStatus] = mapped_column(String(12), default=PlanStatus.DRAFT)
    objective: Mapped[str] = mapped_column(String(12), default="distance")
    # VROOM's documents hold the home points of the villagers visited: sealed (0017).
    problem: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("plans.problem"), default=dict)
    solution: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("plans.solution"), default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None]

    township: Mapped[Region] = relationship()
    # The published version this one was planned from; publishing checks it is still current.
    based_on: Mapped[Plan | None] = relationship(remote_side=[id])
    routes: Mapped[list[PlanRoute]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanRoute.id"
    )


class PlanRoute(Base):
    __tablename__ = "plan_routes"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    start_at: Mapped[datetime | None]
    end_at: Mapped[datetime | None]
    distance_m: Mapped[int] = mapped_column(default=0)
    travel_s: Mapped[int] = mapped_column(default=0)
    locked: Mapped[bool] = mapped_column(default=False)

    plan: Mapped[Plan] = relationship(back_populates="routes")
    agent: Mapped[Agent] = relationship()
    stops: Mapped[list[PlanStop]] = relationship(
        back_populates="route", cascade="all, delete-orphan", order_by="PlanStop.seq"
    )


class PlanStop(Base):
    __tablename__ = "plan_stops"

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(
        ForeignKey("plan_routes.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int]
    # start / end / break / visit / pickup / delivery
    kind: Mapped[str] = mapped_column(String(12))
    # Stable key of the routing task, e.g. "visit:12", "collect:village:445202001001".
    task_key: Mapped[str] = mapped_column(String(60), default="")
    label: Mapped[str] = mapped_column(String(200), default="")
    # Sealed (migration 0017): a stop at a home is the villager's home point.
    lon: Mapped[float] = mapped_column(EncryptedFloat("plan_stops.lon"))
    lat: Mapped[float] = mapped_column(EncryptedFloat("plan_stops.lat"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("service_centres.id"))
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("applicants.id"))
    arrival: Mapped[datetime]
    departure: Mapped[datetime]
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    action: Mapped[str] = mapped_column(String(12), default="")  # collect / hand_over / visit
    status: Mapped[StopStatus] = mapped_column(String(10), default=StopStatus.PLANNED)
    status_at: Mapped[datetime | None]
    fail_reason: Mapped[str] = mapped_column(Text, default="")

    route: Mapped[PlanRoute] = relationship(back_populates="stops")
    cases: Mapped[list[Any]] = relationship("Case", secondary=stop_cases, order_by="Case.id")


class Override(Base):
    """A dispatcher's manual decision that the planner keeps (pin, forbid, lock)."""

    __tablename__ = "plan_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(10))  # pin / forbid / lock / order
    task_key: Mapped[str] = mapped_column(String(60), default="")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    forced: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)


#: ``session.info`` key under which the job runner notes, at commit, the jobs it could not
#: start (job id -> why), so the service that committed them can answer 503.
NOT_STARTED = "jobs_not_started"


class Job(Base):
    """A long-running job (planning) with progress, in-process or on Celery."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=1)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    region_prefix: Mapped[str] = mapped_column(String(12), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StopEvent(Base):
    """Each report about a stop (arrived, done, failed), as sent by the phone.

    The idempotency key makes a retried offline sync harmless: the same report is stored once.
    A phone that was offline may name a stop of a plan version since replaced: ``stop_id`` is
    the stop the report was applied to, ``reported_stop_id`` the one the phone named, and a
    report whose task is no longer planned is kept with ``applied`` false, until a dispatcher
    has checked it (``resolved_at``, ``resolved_by_id``, ``resolution_note``).
    """

    __tablename__ = "plan_stop_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    stop_id: Mapped[int] = mapped_column(
        ForeignKey("plan_stops.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # No foreign key: the audit trail keeps the id the phone sent even if old versions go.
    reported_stop_id: Mapped[int] = mapped_column(index=True)
    applied: Mapped[bool] = mapped_column(default=True, server_default=true())
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Filled only by queries that ask for it (the list of unapplied reports): the version
    # published now for the day and township of the stop the phone named.
    current_version: Mapped[int | None] = query_expression()

    stop: Mapped[PlanStop] = relationship()
    reported_by: Mapped[User | None] = relationship(foreign_keys=[user_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
