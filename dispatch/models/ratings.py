"""好差评: a villager's rating of a delivered case, the rectification of a 差评, and appeals."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.base import Base, utcnow
from dispatch.models.cases import Case


class Level(enum.IntEnum):
    """The five levels of 国办发〔2019〕51号, best first; the bottom two are 差评."""

    VERY_SATISFIED = 5
    SATISFIED = 4
    BASIC = 3
    DISSATISFIED = 2
    VERY_DISSATISFIED = 1


LEVEL_NAMES = {
    Level.VERY_SATISFIED: ("非常满意", "very satisfied"),
    Level.SATISFIED: ("满意", "satisfied"),
    Level.BASIC: ("基本满意", "fairly satisfied"),
    Level.DISSATISFIED: ("不满意", "dissatisfied"),
    Level.VERY_DISSATISFIED: ("非常不满意", "very dissatisfied"),
}
BAD_LEVELS = frozenset({Level.DISSATISFIED, Level.VERY_DISSATISFIED})
TAGS = ("态度", "时效", "材料", "上门准时")


class Source(enum.StrEnum):
    SMS = "sms"  # the villager, by the SMS link
    CALLBACK = "callback"  # village staff record a telephone call-back
    SCREEN = "screen"  # the village room's screen
    DEFAULT = "default"  # silence for 7 natural days counts as 基本满意


class RectStatus(enum.StrEnum):
    OPEN = "open"  # waiting for the township's verification
    VERIFIED = "verified"  # 属实 or 不属实 recorded
    RECTIFIED = "rectified"  # what was done about it recorded
    CLOSED = "closed"  # call-back done, villager told


class Finding(enum.StrEnum):
    TRUE = "true"  # 属实
    FALSE = "false"  # 不属实


class CallbackOutcome(enum.StrEnum):
    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"
    UNREACHABLE = "unreachable"


class AppealStatus(enum.StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"  # the rating stands
    REMOVED = "removed"  # the rating is removed, with the reason


class Rating(Base):
    __tablename__ = "ratings"
    # 一事一评: one rating per case per occasion (the delivery is the only occasion so far).
    __table_args__ = (UniqueConstraint("case_id", "occasion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    occasion: Mapped[str] = mapped_column(String(20), default="delivery")
    level: Mapped[int]
    bad: Mapped[bool] = mapped_column(default=False, index=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    source: Mapped[Source] = mapped_column(String(10))
    # What is rated: the agent who delivered, the township centre and the service item.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("service_centres.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_items.id"))
    # Real-name: the case's applicant; never shown to the rated agent.
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"))
    township_code: Mapped[str] = mapped_column(String(12), index=True)
    delivered_at: Mapped[datetime]
    rated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None]
    removed_reason: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship()
    rectification: Mapped[Rectification | None] = relationship(back_populates="rating")
    appeals: Mapped[list[Appeal]] = relationship(back_populates="rating", order_by="Appeal.id")


class Rectification(Base):
    """整改 of one 差评: verification, rectification, call-back, the villager told."""

    __tablename__ = "rectifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(
        ForeignKey("ratings.id", ondelete="CASCADE"), unique=True
    )
    township_code: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[RectStatus] = mapped_column(String(10), default=RectStatus.OPEN, index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last working day for the township's verification, on the working-day calendar.
    verify_due: Mapped[date]
    # The last working day for the whole of it: verified, rectified, called back.
    close_due: Mapped[date]
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    finding: Mapped[str | None] = mapped_column(String(5))
    verify_note: Mapped[str] = mapped_column(Text, default="")
    rectified_at: Mapped[datetime | None]
    rectified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    measures: Mapped[str] = mapped_column(Text, default="")
    callback_at: Mapped[datetime | None]
    callback_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    callback_outcome: Mapped[str | None] = mapped_column(String(12))
    callback_note: Mapped[str] = mapped_column(Text, default="")
    # Set by the daily job when a deadline passes: the step that is late (verify / close) and
    # when it was flagged; the township's and the county's queues show it.
    flagged_at: Mapped[datetime | None]
    flagged_stage: Mapped[str | None] = mapped_column(String(8))

    rating: Mapped[Rating] = relationship(back_populates="rectification")


class Appeal(Base):
    """申诉复核: the rated agent or centre asks the county to review a rating."""

    __tablename__ = "rating_appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id", ondelete="CASCADE"), index=True)
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filed_as: Mapped[str] = mapped_column(String(10))  # agent / centre
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[AppealStatus] = mapped_column(String(10), default=AppealStatus.PENDING)
    # The last working day for the county's decision (APPEAL_DECIDE_DAYS after filing).
    decide_due: Mapped[date | None]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    rating: Mapped[Rating] = relationship(back_populates="appeals")
