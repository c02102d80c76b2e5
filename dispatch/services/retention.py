"""Retention (PIPL Art. 19): what a closed case no longer needs is removed after its period.

Counted from the case's closing (closed or cancelled): the receipts' signatures and photos,
the positions of its hand-overs, and the villager's signature or thumbprint on its
entrustments are cleared; the custody chain itself stays (who handed what to whom, and when),
as does the entrustment (who entrusted whom, with what, until when), and the case's history
says what was removed and why. Outbox rows
to villagers, once sent or given up, lose their phone and message variables after their own
period. Running the job twice removes nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from dispatch.models.cases import Case, CustodyEvent, Status, StatusChange
from dispatch.models.entrustments import Entrustment
from dispatch.models.outbox import OutboxMessage, OutboxStatus
from dispatch.models.session import DbSession
from dispatch.services.home_stops import blur, stops_before
from dispatch.services.images import forget, sweep
from dispatch.services.signatures import clear_entrustments, clear_receipts
from dispatch.workdays import cst_date

ENDED = (Status.CLOSED, Status.CANCELLED)
PURGE_NOTE = (
    "保存期满，已删除交接单签名、照片、交接位置和委托书签名手印（交接记录和委托记录保留）/ "
    "Retention period over: receipt signatures, photos and hand-over positions, and the "
    "entrustment's signature or thumbprint, removed (the custody chain and the mandate are kept)"
)


@dataclass(frozen=True)
class Periods:
    """Days kept after a case closes (receipts), and after an SMS was sent (outbox)."""

    receipts_days: int = 365
    outbox_days: int = 30
    routes_days: int = 365  # a past plan's stops at villagers' homes, from the plan's day

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Periods:
        return cls(
            int(config["RETAIN_RECEIPTS_DAYS"]),
            int(config["RETAIN_OUTBOX_DAYS"]),
            int(config["RETAIN_ROUTES_DAYS"]),
        )


@dataclass(frozen=True)
class Purged:
    cases: int
    receipts: int
    outbox: int
    entrustments: int = 0
    files: int = 0
    home_stops: int = 0


def _ended_before(session: DbSession, cutoff: datetime) -> list[Case]:
    """Closed or cancelled cases whose last status change is older than the cutoff."""
    last = (
        select(StatusChange.case_id, func.max(StatusChange.at).label("at"))
        .group_by(StatusChange.case_id)
        .subquery()
    )
    stmt = (
        select(Case)
        .join(last, last.c.case_id == Case.id)
        .where(
            Case.status.in_(ENDED),
            last.c.at < cutoff,
            or_(
                Case.id.in_(select(CustodyEvent.case_id)),
                Case.id.in_(select(Entrustment.case_id)),
            ),
        )
        .order_by(Case.id)
    )
    return list(session.scalars(stmt))


def purge_expired(session: DbSession, periods: Periods, now: datetime | None = None) -> Purged:
    """The daily retention job: one commit, then the files it freed; idempotent."""
    now = now or datetime.now(UTC)
    cases = _ended_before(session, now - timedelta(days=periods.receipts_days))
    purged_cases = receipts = mandates = 0
    names: set[str] = set()
    for case in cases:
        (on_receipts, of_receipts), (on_mandates, of_mandates) = (
            clear_receipts(case),
            clear_entrustments(session, case),
        )
        names |= of_receipts | of_mandates
        if on_receipts or on_mandates:
            purged_cases += 1
            receipts += on_receipts
            mandates += on_mandates
            session.add(StatusChange.note_on(case, now, PURGE_NOTE))
    messages = [
        m
        for m in session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.recipient_kind == "villager",
                OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.DEAD)),
                OutboxMessage.created_at < now - timedelta(days=periods.outbox_days),
            )
        )
        if m.phone or m.variables
    ]
    for message in messages:
        message.phone, message.variables = "", {}
    old_routes = cst_date(now) - timedelta(days=periods.routes_days)
    blurred = blur(session, stops_before(session, old_routes))
    session.commit()
    # Files are not in the transaction: deleted once the rows no longer name them, with any
    # file a failed write left behind (the sweep); a crash here leaves them to the next run.
    files = forget(session, names) + sweep(session)
    return Purged(purged_cases, receipts, len(messages), mandates, files, blurred)
