"""Recounting promised dates after the calendar changed (a holiday notice was loaded).

A due date is stored when a case is registered. One counted on the Mon–Fri guess for a year
without a notice stays as it was once the notice is loaded, so the administrator runs
``daiban recount-due-dates``: every case still in progress gets the date its item's promise
gives on the calendar as installed, a line in its history and an SMS to the villager.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from dispatch.errors import NotFound
from dispatch.models.cases import OPEN, Case, Status, StatusChange
from dispatch.models.session import DbSession
from dispatch.services import outbox
from dispatch.services.cases import promised_date
from dispatch.workdays import cst_date

CHUNK = 500
# The promise is the decision (办结) by the due date: a decided case has kept it or broken it,
# and its villager, already told the certificate is ready, needs no new date. Closed and
# cancelled cases have none left.
RECOUNTED = OPEN - {Status.DECIDED, Status.RETURNING, Status.DELIVERED}


@dataclass(frozen=True)
class Change:
    """One case whose promised date moves (or would move, on a dry run)."""

    case_id: int
    reference: str
    old: date
    new: date


def _in_progress(only: Collection[int] | None = None) -> Select[int]:
    stmt = select(Case.id).where(Case.status.in_([s.value for s in RECOUNTED]))
    if only is not None:
        stmt = stmt.where(Case.id.in_(list(only)))
    return stmt.order_by(Case.id)


def count_recounted(session: DbSession, only: Collection[int] | None = None) -> int:
    """How many cases a recount looks at (the length of a progress bar)."""
    return session.scalar(select(func.count()).select_from(_in_progress(only).subquery())) or 0


def case_ids(session: DbSession, references: Collection[str]) -> list[int]:
    """The ids of the cases with these references (受理编号); an unknown one is an error."""
    rows = session.execute(select(Case.reference, Case.id).where(Case.reference.in_(references)))
    found = {reference: case_id for reference, case_id in rows}
    missing = sorted(set(references) - set(found))
    if missing:
        raise NotFound(f"没有受理编号 {', '.join(missing)} / No case {', '.join(missing)}")
    return list(found.values())


def recount_due_dates(
    session: DbSession,
    *,
    dry_run: bool = False,
    on_progress: Callable[[int], None] | None = None,
    only: Collection[int] | None = None,
) -> list[Change]:
    """Give every case in progress the due date its promise gives on the installed calendar.

    Each moved case gets a history entry, a version bump and an SMS to the villager in the
    outbox, all in one commit; ``dry_run`` only reports. ``on_progress(n)`` counts cases seen.
    ``only`` limits the recount to those case ids.
    """
    ids = list(session.scalars(_in_progress(only)))
    changes: list[Change] = []
    now = datetime.now(UTC)
    for at in range(0, len(ids), CHUNK):
        chunk = ids[at : at + CHUNK]
        rows = session.scalars(
            select(Case)
            .where(Case.id.in_(chunk))
            .options(selectinload(Case.item))
            .order_by(Case.id)
        ).all()
        for case in rows:
            days = case.promised_days if case.promised_days is not None else case.item.promised_days
            new = promised_date(case.registered_at, days + case.paused_days)
            if new == case.due_date:
                continue
            change = Change(case.id, case.reference, case.due_date, new)
            changes.append(change)
            if not dry_run:
                _move(session, case, change, now)
        if on_progress:
            on_progress(len(chunk))
    if changes and not dry_run:
        session.commit()
    return changes


def _move(session: DbSession, case: Case, change: Change, now: datetime) -> None:
    old, new = change.old.isoformat(), change.new.isoformat()
    case.due_date = change.new
    case.version += 1
    # The case history records status moves; this entry keeps the status. Added by case_id so
    # the case's history is not loaded just to append to it.
    session.add(
        StatusChange.note_on(
            case,
            now,
            f"节假日安排更新，承诺办结日由 {old} 改为 {new} / "
            f"Holiday notice loaded: promised date moved from {old} to {new}",
        )
    )
    outbox.enqueue_case_message(
        session,
        case,
        "case_due_date_moved",
        # Marked as estimated like the case's dates: from acceptance, not from today.
        {
            "old_date": old,
            "new_date": outbox.delivery_text(change.new, cst_date(case.registered_at)),
        },
    )
