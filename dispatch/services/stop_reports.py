"""Stop reports that could not be applied, for a dispatcher to check.

A phone that was offline may report on a task a re-plan has since dropped; the report is kept
unapplied (see :mod:`dispatch.services.stops`). These functions list such reports in the
caller's region and let a dispatcher mark one as checked, with a note.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import aliased, selectinload, with_expression

from dispatch.errors import Conflict, Forbidden
from dispatch.models.plans import Plan, PlanRoute, PlanStatus, PlanStop, StopEvent
from dispatch.models.regions import Level, Region
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope
from dispatch.services.scoping import field_region, in_region, one_or_404
from dispatch.workdays import CST

READERS = {Role.ADMIN, Role.DISPATCHER, Role.SUPERVISOR}
CHECKERS = {Role.ADMIN, Role.DISPATCHER}


def _unapplied(scope: Scope) -> Select[StopEvent]:
    """Unapplied reports on stops of the caller's region, each with the version published now."""
    current = aliased(Plan)
    published_now = (
        select(func.max(current.version))
        .where(
            current.township_id == Plan.township_id,
            current.day == Plan.day,
            current.status == PlanStatus.PUBLISHED,
        )
        .correlate(Plan)
        .scalar_subquery()
    )
    return (
        select(StopEvent)
        .join(PlanStop, PlanStop.id == StopEvent.stop_id)
        .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
        .join(Plan, Plan.id == PlanRoute.plan_id)
        .join(Region, Region.id == Plan.township_id)
        .where(StopEvent.applied.is_(False), in_region(scope))
        .options(
            with_expression(StopEvent.current_version, published_now),
            selectinload(StopEvent.stop).options(
                selectinload(PlanStop.cases),
                selectinload(PlanStop.route).options(
                    selectinload(PlanRoute.agent),
                    selectinload(PlanRoute.plan).selectinload(Plan.township),
                ),
            ),
            selectinload(StopEvent.reported_by),
            selectinload(StopEvent.resolved_by),
        )
    )


def list_unapplied(
    session: DbSession,
    scope: Scope,
    day: date | None = None,
    township: str | None = None,
    resolved: bool | None = None,
) -> Select[StopEvent]:
    """Unapplied stop reports in the caller's region, newest first; filters are optional."""
    if scope.role not in READERS:
        raise Forbidden("无权查看站点报告 / Your role cannot see stop reports")
    stmt = _unapplied(scope)
    if township:
        field_region(session, scope, township, "township", {Level.TOWNSHIP})
        stmt = stmt.where(Region.code == township)
    if day:
        stmt = stmt.where(Plan.day == day)
    if resolved is not None:
        done = StopEvent.resolved_at.is_not(None)
        stmt = stmt.where(done if resolved else ~done)
    return stmt.order_by(StopEvent.at.desc(), StopEvent.id.desc())


def resolve(session: DbSession, scope: Scope, report_id: int, note: str) -> StopEvent:
    """A dispatcher has checked an unapplied report: record who, when and what they found."""
    if scope.role not in CHECKERS:
        raise Forbidden("只有调度员可以核对报告 / Only a dispatcher can check reports")
    found = _unapplied(scope).where(StopEvent.id == report_id)
    event: StopEvent = one_or_404(session, found, "站点报告 stop report", report_id)
    if event.resolved_at is not None:
        raise _already_checked(event)
    # Conditional, so two dispatchers checking at once cannot both succeed.
    marked = session.execute(
        update(StopEvent)
        .where(StopEvent.id == report_id, StopEvent.resolved_at.is_(None))
        .values(
            resolved_at=datetime.now(UTC),
            resolved_by_id=scope.user_id,
            resolution_note=note.strip(),
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    event = session.scalars(found.execution_options(populate_existing=True)).one()
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        raise _already_checked(event)
    return event


def _already_checked(event: StopEvent) -> Conflict:
    who = event.resolved_by.username if event.resolved_by else "?"
    when = f"{event.resolved_at.astimezone(CST):%Y-%m-%d %H:%M}" if event.resolved_at else "?"
    return Conflict(
        f"此报告已由 {who} 于 {when} 核对 / Report {event.id} was already checked by {who} "
        f"at {when} (Beijing time)"
    )
