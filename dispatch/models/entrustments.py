"""The entrustment (代办委托书): the villager's written mandate for an agent to carry a case."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.agents import Agent
from dispatch.models.base import Base, utcnow
from dispatch.models.cases import Case


class CapturedAt(enum.StrEnum):
    PHONE = "phone"  # on the agent's phone, with the signature canvas
    VILLAGE_ROOM = "village_room"  # at the village room (便民服务室), by its staff


class Covers(enum.StrEnum):
    """Whom the villager entrusts: the agent named, or any agent of the case's township."""

    AGENT = "agent"  # 委托代办员某某: only the agent named carries the documents
    TOWNSHIP = "township"  # 委托本镇代办员: any active agent of the township; the named one signed


class Entrustment(Base):
    """Who entrusts whom, for which case, with what materials, until when, signed how.

    A case has at most one entrustment in force; a revoked or lapsed one stays on record.
    """

    __tablename__ = "entrustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    # The names of the materials the villager handed over, as listed on the form.
    materials: Mapped[list[Any]] = mapped_column(default=list)
    valid_until: Mapped[date]
    captured_at: Mapped[str] = mapped_column(String(20))
    covers: Mapped[str] = mapped_column(String(20), default=Covers.AGENT, server_default="agent")
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The villager's signature, or a thumbprint photo for one who cannot sign: their content
    # hashes in the file store (dispatch.filestore).
    signature_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    thumbprint_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship()
    agent: Mapped[Agent] = relationship()

    def in_force(self, today: date) -> bool:
        return self.revoked_at is None and self.valid_until >= today

    def names(self, agent_id: int) -> bool:
        """Whether the villager entrusted this agent (the township's agents cover all of them;
        that the agent works in the case's township is checked where custody is given)."""
        return self.covers == Covers.TOWNSHIP or self.agent_id == agent_id
