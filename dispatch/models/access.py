"""Records of processing (处理活动记录): each whole read of a person's data, append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from dispatch.models.base import Base, utcnow


class AppendOnly(RuntimeError):
    """An access record was to be changed or removed: the app never does either."""


class AccessRecord(Base):
    __tablename__ = "access_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # No foreign key: a record outlives the user account and the person it names.
    user_id: Mapped[int] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(20))
    subject_kind: Mapped[str] = mapped_column(String(12))  # applicant / agent
    subject_id: Mapped[int] = mapped_column(index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    # ",id_number,phone," so a field is found with one LIKE on either database.
    fields: Mapped[str] = mapped_column(String(120))
    endpoint: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(30))
    request_id: Mapped[str] = mapped_column(String(128), default="")

    @property
    def field_list(self) -> list[str]:
        return [f for f in self.fields.split(",") if f]


# The database refuses UPDATE and DELETE too (triggers of migration 0012); these catch the
# mistake earlier, with a clear message, for the ORM's two ways of changing rows.
@event.listens_for(Session, "before_flush")
def _no_changed_records(session: Session, context: Any, instances: Any) -> None:
    if any(isinstance(o, AccessRecord) for o in (*session.dirty, *session.deleted)):
        raise AppendOnly("access records are append-only")


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        m.class_ is AccessRecord for m in state.all_mappers
    ):
        raise AppendOnly("access records are append-only")
