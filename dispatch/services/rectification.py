"""The rectification of a 差评 (整改) and appeals against a rating (申诉复核).

Each step belongs to one role and records who and when:
- the township (its dispatcher) verifies (属实 / 不属实), records the rectification, then the
  call-back (回访) and its outcome; the villager's SMS with the result goes to the outbox
  with the call-back, in the same transaction;
- the rated agent, or the township centre (its dispatcher), appeals a rating;
- the county (a supervisor whose region is the county) decides the appeal.
Deadlines count working days on the project's calendar (``dispatch.workdays``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import current_app
from sqlalchemy import Select, select

from dispatch.errors import Conflict, Forbidden, Invalid, NotFound
from dispatch.models.outbox import enqueue
from dispatch.models.ratings import (
    Appeal,
    AppealStatus,
    CallbackOutcome,
    Finding,
    Rating,
    Rectification,
    RectStatus,
)
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope
from dispatch.services.overdue_alerts import alert_overdue
from dispatch.workdays import CST, add_working_days, cst_date

TOWNSHIP_ROLES = {Role.ADMIN, Role.DISPATCHER}
RESULT_TEXT = {
    Finding.TRUE: "情况属实，已整改 / found true and put right",
    Finding.FALSE: "经核查情况不属实 / found not to be the case",
}


def today() -> date:
    return datetime.now(CST).date()


def overdue_stage(rect: Rectification, on: date) -> str | None:
    """``close`` past the whole's day, ``verify`` past the verification's, else None."""
    if rect.status == RectStatus.CLOSED or rect.rating.removed_at is not None:
        return None
    if on > rect.close_due:
        return "close"
    if rect.status == RectStatus.OPEN and on > rect.verify_due:
        return "verify"
    return None


def is_overdue(rect: Rectification, on: date) -> bool:
    """Verification not done by its day, or the whole not closed by its day."""
    return overdue_stage(rect, on) is not None


def flag_overdue(session: DbSession, now: datetime | None = None) -> int:
    """The daily job: flag each rectification whose step is past its working day; idempotent.

    A flag is kept on the row (when, which step), so the township's queue and the county's
    (both read ``GET /api/ratings/rectifications?overdue=true``) show since when it is late;
    a rectification flagged at verification is flagged again when its close date passes.
    Each flag queues an SMS to the township's dispatchers and the county's supervisors.
    """
    now = now or datetime.now(UTC)
    on = cst_date(now)
    rows = session.scalars(
        select(Rectification)
        .join(Rectification.rating)
        .where(Rectification.status != RectStatus.CLOSED, Rating.removed_at.is_(None))
    ).all()
    flagged = 0
    for rect in rows:
        stage = overdue_stage(rect, on)
        if stage is not None and stage != rect.flagged_stage:
            rect.flagged_at, rect.flagged_stage = now, stage
            alert_overdue(session, rect, stage)
            flagged += 1
    session.commit()
    return flagged


def closed_on_time(rect: Rectification) -> bool:
    return rect.callback_at is not None and cst_date(rect.callback_at) <= rect.close_due


def scoped_rectifications(scope: Scope) -> Select[Rectification]:
    if scope.role not in {Role.ADMIN, Role.SUPERVISOR, Role.DISPATCHER}:
        raise Forbidden("无权查看整改 / Your role cannot see rectifications")
    return select(Rectification).where(Rectification.township_code.like(f"{scope.prefix}%"))


def list_rectifications(
    session: DbSession, scope: Scope, overdue_only: bool = False, open_only: bool = False
) -> list[Rectification]:
    """The queue, oldest deadline first; ``overdue_only`` is what is flagged to the region."""
    stmt = scoped_rectifications(scope).order_by(Rectification.close_due, Rectification.id)
    if open_only or overdue_only:
        stmt = stmt.where(Rectification.status != RectStatus.CLOSED)
    rows = list(session.scalars(stmt))
    if overdue_only:
        on = today()
        rows = [r for r in rows if is_overdue(r, on)]
    return rows


def _owned(session: DbSession, scope: Scope, rect_id: int) -> Rectification:
    if scope.role not in TOWNSHIP_ROLES:
        raise Forbidden("整改由乡镇（街道）办理 / Rectification is the township's work")
    rect = session.scalar(scoped_rectifications(scope).where(Rectification.id == rect_id))
    if rect is None:
        raise NotFound(f"没有整改 {rect_id}，或不在您的辖区 / No rectification {rect_id} in scope")
    if rect.rating.removed_at is not None:
        raise Conflict("评价已经申诉撤销 / The rating was removed on appeal")
    return rect


def _expect(rect: Rectification, status: RectStatus, step: str) -> None:
    if rect.status != status:
        raise Conflict(
            f"整改当前为 {rect.status}，不能{step} / The rectification is {rect.status}; "
            f"it must be {status} for this step",
            allowed=[status.value],
        )


def _text(value: str, field: str) -> str:
    if not value.strip():
        raise Invalid("请填写说明 / Write what was found or done", {field: ["must not be empty"]})
    return value.strip()


def verify(
    session: DbSession,
    scope: Scope,
    rect_id: int,
    finding: str,
    note: str,
    now: datetime | None = None,
) -> Rectification:
    """Step 1: the township records whether the complaint is true (属实) or not (不属实)."""
    rect = _owned(session, scope, rect_id)
    _expect(rect, RectStatus.OPEN, "核实")
    if finding not in {f.value for f in Finding}:
        raise Invalid("核实结论无效 / Unknown finding", {"finding": ["true or false"]})
    rect.finding, rect.verify_note = finding, _text(note, "note")
    rect.verified_at, rect.verified_by_id = now or datetime.now(UTC), scope.user_id
    rect.status = RectStatus.VERIFIED
    session.commit()
    return rect


def rectify(
    session: DbSession, scope: Scope, rect_id: int, measures: str, now: datetime | None = None
) -> Rectification:
    """Step 2: what was done about it (or, if not true, what was explained to the villager)."""
    rect = _owned(session, scope, rect_id)
    _expect(rect, RectStatus.VERIFIED, "整改")
    rect.measures = _text(measures, "measures")
    rect.rectified_at, rect.rectified_by_id = now or datetime.now(UTC), scope.user_id
    rect.status = RectStatus.RECTIFIED
    session.commit()
    return rect


def call_back(
    session: DbSession,
    scope: Scope,
    rect_id: int,
    outcome: str,
    note: str = "",
    now: datetime | None = None,
) -> Rectification:
    """Step 3: the call-back (回访) and its outcome; the villager's SMS with the result."""
    rect = _owned(session, scope, rect_id)
    _expect(rect, RectStatus.RECTIFIED, "回访")
    if outcome not in {o.value for o in CallbackOutcome}:
        raise Invalid(
            "回访结果无效 / Unknown outcome", {"outcome": ["satisfied, unsatisfied or unreachable"]}
        )
    rect.callback_outcome, rect.callback_note = outcome, note.strip()
    rect.callback_at, rect.callback_by_id = now or datetime.now(UTC), scope.user_id
    rect.status = RectStatus.CLOSED
    case = rect.rating.case
    enqueue(
        session,
        "rating_result",
        "sms",
        "villager",
        case.applicant_id,
        phone=case.applicant.phone,
        variables={
            "name": case.applicant.name,
            "service": case.item.name,
            "reference": case.reference,
            "result": RESULT_TEXT[Finding(rect.finding or Finding.TRUE)],
        },
        data={"case_id": case.id, "rectification_id": rect.id},
        township_code=rect.township_code,
    )
    session.commit()
    return rect


def _rating_in_scope(session: DbSession, scope: Scope, rating_id: int) -> Rating:
    rating = session.get(Rating, rating_id)
    visible = rating is not None and (
        rating.agent_id == scope.agent_id
        if scope.role == Role.AGENT
        else rating.township_code.startswith(scope.prefix)
    )
    if rating is None or not visible:
        raise NotFound(f"没有评价 {rating_id}，或不在您的辖区 / No rating {rating_id} in scope")
    return rating


def file_appeal(
    session: DbSession, scope: Scope, rating_id: int, reason: str, now: datetime | None = None
) -> Appeal:
    """The rated agent, or the township centre (its dispatcher), asks the county to review."""
    if scope.role not in {Role.AGENT, Role.DISPATCHER, Role.ADMIN}:
        raise Forbidden("只有被评代办员或服务中心可以申诉 / Only the rated agent or centre appeals")
    rating = _rating_in_scope(session, scope, rating_id)
    if rating.removed_at is not None:
        raise Conflict("评价已撤销 / The rating is already removed")
    if any(a.status == AppealStatus.PENDING for a in rating.appeals):
        raise Conflict("已有待复核的申诉 / An appeal is already waiting for the county")
    at = now or datetime.now(UTC)
    appeal = Appeal(
        rating=rating,
        filed_at=at,
        decide_due=add_working_days(cst_date(at), current_app.config["APPEAL_DECIDE_DAYS"]),
        filed_by_id=scope.user_id,
        filed_as="agent" if scope.role == Role.AGENT else "centre",
        reason=_text(reason, "reason"),
    )
    session.add(appeal)
    session.commit()
    return appeal


def decide_appeal(
    session: DbSession,
    scope: Scope,
    appeal_id: int,
    decision: str,
    reason: str,
    now: datetime | None = None,
) -> Appeal:
    """The county upholds the rating or removes it, saying why."""
    county = scope.role == Role.SUPERVISOR and len(scope.prefix) == 6
    if not (county or scope.role == Role.ADMIN):
        raise Forbidden("申诉由县（区）复核 / The county decides appeals")
    appeal = session.get(Appeal, appeal_id)
    if appeal is None or not appeal.rating.township_code.startswith(scope.prefix):
        raise NotFound(f"没有申诉 {appeal_id}，或不在您的辖区 / No appeal {appeal_id} in scope")
    if appeal.status != AppealStatus.PENDING:
        raise Conflict("申诉已复核 / The appeal has been decided already")
    if decision not in (AppealStatus.UPHELD, AppealStatus.REMOVED):
        raise Invalid("复核结论无效 / Unknown decision", {"decision": ["upheld or removed"]})
    at = now or datetime.now(UTC)
    appeal.status, appeal.decision_reason = AppealStatus(decision), _text(reason, "reason")
    appeal.decided_at, appeal.decided_by_id = at, scope.user_id
    if decision == AppealStatus.REMOVED:
        appeal.rating.removed_at, appeal.rating.removed_reason = at, appeal.decision_reason
    session.commit()
    return appeal


def appeal_overdue(appeal: Appeal, on: date) -> bool:
    return (
        appeal.status == AppealStatus.PENDING
        and appeal.decide_due is not None
        and on > appeal.decide_due
    )


def list_appeals(session: DbSession, scope: Scope, pending_only: bool = False) -> list[Appeal]:
    stmt = select(Appeal).join(Appeal.rating).where(Rating.township_code.like(f"{scope.prefix}%"))
    if scope.role == Role.AGENT:
        stmt = select(Appeal).join(Appeal.rating).where(Rating.agent_id == scope.agent_id)
    if pending_only:
        stmt = stmt.where(Appeal.status == AppealStatus.PENDING)
    return list(session.scalars(stmt.order_by(Appeal.id)))
