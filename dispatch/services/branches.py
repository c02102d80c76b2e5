"""The branches of a case: on-site completion, 补正, refusal, 中止/续办, withdrawal, revocation.

Each is one use case that commits once: the status move with its history line, the custody
events it implies, the clock of the promise, and the villager's SMS in the outbox.

The clock: 补正 and 中止 time does not count (``case_flow.CLOCK_STOPPED``). A stop that
starts on CST day P and ends on day R adds the working days in (P, R] to the promise, so the
due date is always ``promised_date(registered_at, promised_days + paused_days)``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import select

from dispatch.errors import Conflict, Forbidden, Invalid
from dispatch.models.cases import Case, HolderKind, Status
from dispatch.models.centres import CentreKind, ServiceCentre
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope
from dispatch.services import entrustments
from dispatch.services.case_flow import BRANCH_FROM, at_decision
from dispatch.services.cases import (
    WRITERS,
    apply_move,
    enqueue_case_event,
    one_time_notice,
    promised_date,
    record_custody,
)
from dispatch.workdays import cst_date, working_days_between

DECIDERS = {Role.ADMIN, Role.DISPATCHER}
VILLAGE_DESK = {Role.ADMIN, Role.DISPATCHER, Role.VILLAGE_STAFF}
REFUSALS = {
    "not_accepted": ("不予受理", "not accepted"),
    "not_permitted": ("不予许可", "not permitted"),
}


def _start(scope: Scope, case: Case, branch: str, roles: Collection[Role]) -> Status:
    """The case's status if ``branch`` may start from it for this caller, else 403 / 409."""
    if scope.role not in roles:
        raise Forbidden(f"您的角色不能办理此步骤 / Your role cannot do this step ({branch})")
    status = Status(case.status)
    if status not in BRANCH_FROM[branch]:
        allowed = ", ".join(sorted(BRANCH_FROM[branch]))
        raise Conflict(
            f"代办件为 {status}，不能{branch} / A case that is {status} cannot take this step; "
            f"it can from: {allowed}",
            allowed_from=sorted(BRANCH_FROM[branch]),
        )
    return status


def _pause(case: Case, now: datetime) -> None:
    if case.paused_since is None:
        case.paused_since = now


def _resume(case: Case, now: datetime) -> int:
    """Stop the pause: its working days join the promise; the new due date. Returns them."""
    if case.paused_since is None:
        return 0
    days = max(0, working_days_between(cst_date(case.paused_since), cst_date(now)))
    case.paused_since = None
    case.paused_days += days
    promise = (case.promised_days or case.item.promised_days) + case.paused_days
    case.due_date = promised_date(case.registered_at, promise)
    return days


def _clock_note(days: int, case: Case) -> str:
    return (
        f"暂停 {days} 个工作日不计入，承诺办结日 {case.due_date} / {days} working days "
        f"paused do not count; promised date {case.due_date}"
    )


def complete_on_site(
    session: DbSession,
    scope: Scope,
    case: Case,
    *,
    signature_png: str | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Case:
    """现场受理、办结、出证: a village item decided and handed over at the room."""
    status = _start(scope, case, "on_site", VILLAGE_DESK)
    if case.item.level != "village":
        raise Invalid(
            f"「{case.item.name}」由{case.item.level}审批，不能现场办结 / This item is decided "
            f"at the {case.item.level}, not on the spot",
            {"item": [f"level is {case.item.level}; only village items are completed on site"]},
        )
    room = session.scalar(
        select(ServiceCentre).where(
            ServiceCentre.region_id == case.village_id, ServiceCentre.kind == CentreKind.VILLAGE
        )
    )
    if room is None:
        raise Invalid(
            f"{case.village.name}没有便民服务室 / {case.village.name} has no village room: add "
            "one with POST /api/centres/ (kind village)",
            {"village": ["no village room"]},
        )
    now = now or datetime.now(UTC)
    names = [m["name"] for m in case.item.materials]
    if (case.holder_kind, case.holder_id) != (HolderKind.CENTRE, room.id):
        record_custody(
            session, scope, case, HolderKind.CENTRE, room.id, now,
            centre_id=room.id, items=names, note="现场受理 / taken in at the room",
        )  # fmt: skip
    if status == Status.REGISTERED:
        apply_move(session, scope, case, Status.MATERIALS_CHECKED, "现场受理 / on site", now, False)
    apply_move(
        session, scope, case, Status.DECIDED, note or "现场办结 / decided on site", now, False
    )
    record_custody(
        session, scope, case, HolderKind.APPLICANT, case.applicant_id, now,
        centre_id=room.id, items=[case.item.name, *names], signature_png=signature_png,
        note="现场出证 / handed over on the spot",
    )  # fmt: skip
    apply_move(session, scope, case, Status.DELIVERED, "现场出证 / delivered on site", now)
    session.commit()
    return case


def request_supplement(
    session: DbSession,
    scope: Scope,
    case: Case,
    missing: list[str],
    note: str = "",
    now: datetime | None = None,
) -> Case:
    """补正: the deciding centre names what is missing; the file goes down, the clock stops."""
    status = _start(scope, case, "supplement", DECIDERS)
    _at_decision(case, status)
    if not missing:
        raise Invalid(
            "补正须写明所缺材料 / A 补正 must name the missing materials",
            {"missing": ["name at least one missing material"]},
        )
    now = now or datetime.now(UTC)
    rounds = 1 + sum(1 for h in case.history if h.to_status == Status.SUPPLEMENT)
    case.missing_notice = f"补正告知（第 {rounds} 次）/ Supplement request {rounds}：\n" + (
        one_time_notice(case, missing)
    )
    _pause(case, now)
    apply_move(session, scope, case, Status.SUPPLEMENT, note or "；".join(missing), now, False)
    enqueue_case_event(session, case, "case_supplement", {"missing": "、".join(missing)})
    session.commit()
    return case


def receive_supplement(
    session: DbSession,
    scope: Scope,
    case: Case,
    items: list[str],
    note: str = "",
    now: datetime | None = None,
) -> Case:
    """The villager brought what was missing: materials checked again, the clock runs on."""
    _start(scope, case, "supplement_received", WRITERS)
    now = now or datetime.now(UTC)
    days = _resume(case, now)
    text = f"补正材料已收：{'；'.join(items)}。{_clock_note(days, case)}"
    apply_move(session, scope, case, Status.MATERIALS_CHECKED, f"{text} {note}".strip(), now, False)
    session.commit()
    return case


def refuse(
    session: DbSession,
    scope: Scope,
    case: Case,
    kind: str,
    reason: str,
    legal_basis: str,
    now: datetime | None = None,
) -> Case:
    """不予受理 / 不予许可 with its reason and legal basis: the decision and the file go down."""
    status = _start(scope, case, "refusal", DECIDERS)
    _at_decision(case, status)
    if kind not in REFUSALS:
        raise Invalid(
            "未知的决定类型 / Unknown kind of refusal",
            {"kind": [f"one of {', '.join(REFUSALS)}"]},
        )
    now = now or datetime.now(UTC)
    case.refusal_kind = kind
    case.refusal_reason = f"{reason}（依据：{legal_basis}）"
    zh, en = REFUSALS[kind]
    apply_move(
        session, scope, case, Status.REFUSED, f"{zh} / {en}：{case.refusal_reason}", now, False
    )
    enqueue_case_event(session, case, "case_refused", {"decision": zh, "reason": reason})
    session.commit()
    return case


def _at_decision(case: Case, status: Status) -> None:
    if case.holder_kind != HolderKind.CENTRE or not at_decision(status, case.item.level):
        raise Conflict(
            f"代办件尚未到审批中心（{status}）/ The case is not at the centre that decides it "
            f"({case.item.level}); it is {status}"
        )


def suspend(
    session: DbSession, scope: Scope, case: Case, reason: str, now: datetime | None = None
) -> Case:
    """中止: the file stays with its holder, its legs are held and the clock stops."""
    status = _start(scope, case, "suspension", WRITERS)
    now = now or datetime.now(UTC)
    case.resume_status = status
    _pause(case, now)
    apply_move(session, scope, case, Status.SUSPENDED, reason, now, False)
    enqueue_case_event(session, case, "case_suspended", {"reason": reason})
    session.commit()
    return case


def continue_case(
    session: DbSession, scope: Scope, case: Case, note: str = "", now: datetime | None = None
) -> Case:
    """续办: back to where the case was when suspended; the stopped days join the promise."""
    _start(scope, case, "continuation", WRITERS)
    now = now or datetime.now(UTC)
    target = Status(case.resume_status or Status.REGISTERED)
    case.resume_status = None
    days = _resume(case, now)
    apply_move(
        session,
        scope,
        case,
        target,
        f"续办 / continued. {_clock_note(days, case)} {note}",
        now,
        False,
    )
    enqueue_case_event(session, case, "case_continued", {"due_date": case.due_date.isoformat()})
    session.commit()
    return case


def withdraw(
    session: DbSession, scope: Scope, case: Case, reason: str, now: datetime | None = None
) -> Case:
    """撤回 at the villager's request: the file comes back down (or ends, if they hold it)."""
    _start(scope, case, "withdrawal", WRITERS)
    _withdraw(session, scope, case, f"撤回 / withdrawn：{reason}", now or datetime.now(UTC))
    session.commit()
    return case


def revoke_entrustment(
    session: DbSession, scope: Scope, case: Case, reason: str, now: datetime | None = None
) -> Case:
    """The villager revokes the entrustment through village staff: the case stops and the
    file comes back from wherever it is."""
    _start(scope, case, "withdrawal", entrustments.REVOKERS)
    now = now or datetime.now(UTC)
    entrustments.revoke(session, scope, case, reason, now)
    _withdraw(session, scope, case, f"委托撤销 / entrustment revoked：{reason}", now)
    session.commit()
    return case


def _withdraw(session: DbSession, scope: Scope, case: Case, note: str, now: datetime) -> None:
    _resume(case, now)
    case.resume_status = None
    at_home = case.holder_kind == HolderKind.APPLICANT
    target = Status.CANCELLED if at_home else Status.WITHDRAWN
    apply_move(session, scope, case, target, note, now, False)
    enqueue_case_event(session, case, "case_withdrawn", {"reason": note})
