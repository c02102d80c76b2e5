"""Cases (代办件), their status history and the custody chain of their documents."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.applicants import Applicant
from dispatch.models.base import Base, utcnow
from dispatch.models.catalog import ServiceItem
from dispatch.models.regions import Region
from dispatch.models.types import EncryptedFloat


class Channel(enum.StrEnum):
    ON_SITE = "on_site"
    AGENT = "agent"
    ONLINE_ASSISTED = "online_assisted"


class Status(enum.StrEnum):
    REGISTERED = "registered"
    MATERIALS_CHECKED = "materials_checked"
    RETURNED = "returned"
    WITH_AGENT = "with_agent"
    AT_TOWNSHIP = "at_township"
    AT_COUNTY = "at_county"
    DECIDED = "decided"
    RETURNING = "returning"
    DELIVERED = "delivered"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    # The branches (services.branches): each travels the relay or stops the clock.
    SUPPLEMENT = "supplement"  # 补正: requested by the deciding centre, the file going down
    SUPPLEMENTING = "supplementing"  # the villager holds the file and gathers what is missing
    REFUSED = "refused"  # 不予受理 / 不予许可: the decision and the file going down
    WITHDRAWN = "withdrawn"  # 撤回 (or the entrustment revoked): the file going down
    SUSPENDED = "suspended"  # 中止: legs held where the file is, the clock stopped


#: The statuses of a case still under way.
OPEN = frozenset(set(Status) - {Status.CLOSED, Status.CANCELLED})


class HolderKind(enum.StrEnum):
    APPLICANT = "applicant"
    AGENT = "agent"
    CENTRE = "centre"


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"), index=True)
    # The village the case belongs to; scoping and routing both hang off it.
    village_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    channel: Mapped[Channel] = mapped_column(String(20))
    status: Mapped[Status] = mapped_column(String(20), index=True, default=Status.REGISTERED)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_date: Mapped[date]
    # The working days the item promised when the case was accepted: a later edit of the item
    # does not move this case's promise (``services.due_dates`` recounts from it).
    promised_days: Mapped[int | None]
    predicted_date: Mapped[date | None]
    # Why the case is not moving today (a cut-off missed, a task that did not fit), for people.
    waiting_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    urgent: Mapped[bool] = mapped_column(default=False)
    missing_notice: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    holder_kind: Mapped[HolderKind] = mapped_column(String(10), default=HolderKind.APPLICANT)
    holder_id: Mapped[int]
    # The promise's clock: stopped since ``paused_since`` (补正, 中止); ``paused_days`` working
    # days already added to the due date by earlier stops (services.branches).
    paused_since: Mapped[datetime | None]
    paused_days: Mapped[int] = mapped_column(default=0, server_default="0")
    # Where a suspended case goes on when continued.
    resume_status: Mapped[str | None] = mapped_column(String(20))
    # 不予受理 (not_accepted) or 不予许可 (not_permitted), with the reason and its legal basis.
    refusal_kind: Mapped[str] = mapped_column(String(20), default="", server_default="")
    refusal_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    applicant: Mapped[Applicant] = relationship()
    item: Mapped[ServiceItem] = relationship()
    village: Mapped[Region] = relationship()
    history: Mapped[list[StatusChange]] = relationship(
        back_populates="case", order_by="StatusChange.id", cascade="all, delete-orphan"
    )
    custody: Mapped[list[CustodyEvent]] = relationship(
        back_populates="case", order_by="CustodyEvent.seq", cascade="all, delete-orphan"
    )


class StatusChange(Base):
    __tablename__ = "case_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship(back_populates="history")

    @classmethod
    def note_on(cls, case: Case, at: datetime, note: str) -> StatusChange:
        """A history entry that keeps the status: something else about the case changed."""
        return cls(
            case_id=case.id, from_status=case.status, to_status=case.status, at=at, note=note
        )


class CustodyEvent(Base):
    """One hand-over of a case's documents, with its receipt (交接单)."""

    __tablename__ = "custody_events"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    receipt_no: Mapped[str] = mapped_column(String(32), unique=True)
    from_kind: Mapped[HolderKind] = mapped_column(String(10))
    from_id: Mapped[int]
    to_kind: Mapped[HolderKind] = mapped_column(String(10))
    to_id: Mapped[int]
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("service_centres.id"))
    # Sealed (migration 0017): a hand-over at the villager's door is their home point.
    lon: Mapped[float | None] = mapped_column(EncryptedFloat("custody_events.lon"))
    lat: Mapped[float | None] = mapped_column(EncryptedFloat("custody_events.lat"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    items: Mapped[list[Any]] = mapped_column(default=list)
    # The content hashes of the signature and photo in the file store (dispatch.filestore).
    signature_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    photo_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    # Set by offline clients so a retried sync never records a hand-over twice.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    case: Mapped[Case] = relationship(back_populates="custody")
