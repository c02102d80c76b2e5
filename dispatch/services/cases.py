"""Cases: registration, status moves and the custody chain of their documents."""

from __future__ import annotations

import hmac
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from dispatch.errors import Conflict, Forbidden, Invalid, NotFound
from dispatch.models.agents import Agent
from dispatch.models.applicants import Applicant
from dispatch.models.cases import OPEN, Case, CustodyEvent, HolderKind, Status, StatusChange
from dispatch.models.catalog import ServiceItem
from dispatch.models.centres import ServiceCentre
from dispatch.models.regions import Region, decision_code, township_code
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope
from dispatch.services import outbox
from dispatch.services.assignments import agent_case_ids
from dispatch.services.case_flow import GOING_DOWN, GOING_UP, NO_HAND_OVER, allowed_next
from dispatch.services.entrustments import require_entrustment, township_agent
from dispatch.services.images import keep
from dispatch.workdays import (
    add_working_days,
    cst_date,
    estimate_note,
    uncovered_years,
)

WRITERS = {Role.ADMIN, Role.DISPATCHER, Role.VILLAGE_STAFF, Role.AGENT}


def scoped_cases(scope: Scope) -> Select[Case]:
    """Cases the caller may see: their region's, or for an agent the ones they hold."""
    stmt = select(Case).join(Case.village)
    if scope.role == Role.AGENT:
        return stmt.where(
            or_(
                (Case.holder_kind == HolderKind.AGENT) & (Case.holder_id == scope.agent_id),
                Case.id.in_(agent_case_ids(scope.agent_id)),
            )
        )
    return stmt.where(Region.code.like(f"{scope.prefix}%"))


def list_cases(
    scope: Scope,
    reference: str | None = None,
    status: str | None = None,
    village: str | None = None,
    item: str | None = None,
    open_only: bool = False,
    overdue_before: date | None = None,
    at_risk: bool = False,
) -> Select[Any]:
    stmt = scoped_cases(scope)
    if reference:
        stmt = stmt.where(Case.reference == reference.strip().upper())
    if status:
        stmt = stmt.where(Case.status == status)
    if village:
        stmt = stmt.where(Region.code.like(f"{village.rstrip('0') or village}%"))
    if item:
        stmt = stmt.where(Case.item.has(ServiceItem.code == item))
    if open_only:
        stmt = stmt.where(Case.status.in_([s.value for s in OPEN]))
    if overdue_before:
        stmt = stmt.where(Case.due_date <= overdue_before)
    if at_risk:
        stmt = stmt.where(
            Case.status.in_([s.value for s in OPEN]), Case.predicted_date >= Case.due_date
        )
    return stmt.order_by(Case.id)


def get_case(session: DbSession, scope: Scope, case_id: int) -> Case:
    case = session.scalar(scoped_cases(scope).where(Case.id == case_id))
    if case is None:
        raise NotFound(f"没有代办件 {case_id}，或不在您的辖区 / No case {case_id} in your scope")
    return case


def get_by_reference(session: DbSession, reference: str, phone: str) -> Case:
    """Public look-up: the reference and the applicant's phone must both match."""
    case = session.scalar(
        select(Case).options(joinedload(Case.applicant)).where(Case.reference == reference)
    )
    # The phone is sealed at rest, so it is compared here, in constant time.
    if case is None or not hmac.compare_digest(case.applicant.phone.encode(), phone.encode()):
        raise NotFound("查无此件，请核对受理编号和手机号 / No case with that reference and phone")
    return case


def estimated_years(case: Case) -> tuple[int, ...]:
    """Years from acceptance to the later of the due and predicted dates that no official
    calendar covers; the dates are a Mon–Fri guess when there is any."""
    last = max(case.due_date, case.predicted_date or case.due_date)
    return uncovered_years(cst_date(case.registered_at), last)


def date_basis(case: Case) -> dict[str, Any]:
    """``dates_estimated`` and its bilingual ``dates_note`` ("" when the dates are official)."""
    years = estimated_years(case)
    return {"dates_estimated": bool(years), "dates_note": estimate_note(years)}


def promised_date(accepted_at: datetime, promised_days: int) -> date:
    """The promised date (承诺办结日): ``promised_days`` working days after the CST day of
    acceptance, on the calendar as installed; registration and the recount both use it."""
    return add_working_days(cst_date(accepted_at), promised_days)


def _writable(scope: Scope) -> None:
    if scope.role not in WRITERS:
        raise Forbidden("只读角色 / Your role can read but not change cases")


def register_case(
    session: DbSession,
    scope: Scope,
    applicant_id: int,
    item_code: str,
    channel: str,
    note: str = "",
    urgent: bool = False,
    now: datetime | None = None,
) -> Case:
    """Register a case; its due date is the item's promise in working days from today (CST)."""
    _writable(scope)
    applicant = session.get(Applicant, applicant_id)
    # An agent's scope is their township, like a dispatcher's: no exception for agents here.
    if applicant is None or not scope.covers(applicant.village.code):
        raise Invalid(
            "申请人不存在或不在辖区 / Unknown applicant",
            {"applicant_id": [f"no applicant {applicant_id} in your region"]},
        )
    item = session.scalar(select(ServiceItem).where(ServiceItem.code == item_code))
    if item is None or not item.active:
        raise Invalid("未知事项 / Unknown service item", {"item_code": [f"no item {item_code}"]})
    now = now or datetime.now(UTC)
    case = Case(
        reference="pending",
        applicant=applicant,
        item=item,
        village_id=applicant.village_id,
        channel=channel,
        status=Status.REGISTERED,
        registered_at=now,
        due_date=promised_date(now, item.promised_days),
        promised_days=item.promised_days,
        urgent=urgent,
        note=note,
        holder_kind=HolderKind.APPLICANT,
        holder_id=applicant.id,
    )
    session.add(case)
    session.flush()
    case.reference = f"DB{cst_date(now):%y%m%d}{case.id:06d}"
    case.history.append(StatusChange(to_status=Status.REGISTERED, at=now, by_user_id=scope.user_id))
    enqueue_case_event(session, case, "case_registered")
    session.commit()
    return case


def transition(
    session: DbSession,
    scope: Scope,
    case: Case,
    to: str,
    note: str = "",
    missing: list[str] | None = None,
    now: datetime | None = None,
) -> Case:
    """Move a case to ``to``; an illegal move is a 409 listing the allowed ones."""
    _writable(scope)
    try:
        target = Status(to)
    except ValueError:
        raise Invalid("未知状态 / Unknown status", {"to": [f"'{to}' is not a status"]}) from None
    allowed = allowed_next(Status(case.status), case.item.level)
    if target == Status.CANCELLED and case.holder_kind != HolderKind.APPLICANT:
        rest = [s.value for s in allowed if s != Status.CANCELLED]
        raise Conflict(_held_elsewhere(session, case), allowed=rest)
    if target not in allowed:
        raise Conflict(
            f"不能从 {case.status} 转到 {target} / Cannot move from {case.status} to {target}",
            allowed=[s.value for s in allowed],
        )
    if target == Status.RETURNED:
        if not missing:
            raise Invalid(
                "退回须写明缺少的材料 / A return must list the missing materials",
                {"missing": ["name at least one missing material"]},
            )
        case.missing_notice = one_time_notice(case, missing)
    apply_move(session, scope, case, target, note, now or datetime.now(UTC))
    session.commit()
    return case


def _held_elsewhere(session: DbSession, case: Case) -> str:
    """Why a bare cancel is refused when someone other than the villager holds the file."""
    holder = holder_label(session, case.holder_kind, case.holder_id)
    return (
        f"材料在{holder}处，不能直接取消；请办理撤回，材料退回申请人 / The documents are with "
        f"{holder}: a plain cancel would leave them there. Withdraw the case instead "
        f"(POST /api/cases/{case.id}/withdrawal with a reason): its documents come back down "
        "to the villager, and it is cancelled when they reach them"
    )


def apply_move(
    session: DbSession,
    scope: Scope,
    case: Case,
    target: Status,
    note: str,
    now: datetime,
    tell: bool = True,
) -> None:
    """Record the move in the history; ``tell``: queue the villager's SMS for it, if any."""
    case.history.append(
        StatusChange(
            from_status=case.status, to_status=target, at=now, by_user_id=scope.user_id, note=note
        )
    )
    case.status = target
    case.version += 1
    if tell:
        enqueue_case_event(session, case, f"case_{target.value}")


def one_time_notice(case: Case, missing: list[str]) -> str:
    """The written one-time notice (一次性告知书) of what is missing."""
    required = {m["name"] for m in case.item.materials}
    unknown = [m for m in missing if m not in required]
    if unknown:
        raise Invalid(
            "材料不在清单中 / Not on the item's list of materials",
            {"missing": [f"'{m}' is not a required material" for m in unknown]},
        )
    lines = "；".join(missing)
    return (
        f"一次性告知书：您申请的「{case.item.name}」还缺少以下材料：{lines}。"
        f"请补齐后交给代办员或村便民服务室。受理编号 {case.reference}。\n"
        f"One-time notice: for '{case.item.name_en or case.item.name}' these materials are "
        f"missing: {', '.join(missing)}. Reference {case.reference}."
    )


def _holder_exists(
    session: DbSession, scope: Scope, case: Case, kind: HolderKind, ref: int
) -> ServiceCentre | None:
    if kind == HolderKind.APPLICANT:
        if ref != case.applicant_id:
            raise Invalid(
                "只能交还给申请人本人 / Documents go back to this case's applicant",
                {"to_id": [f"applicant of this case is {case.applicant_id}"]},
            )
        return None
    if kind == HolderKind.AGENT:
        township_agent(session, case, ref, "to_id")
        return None
    centre = session.get(ServiceCentre, ref)
    if centre is None:
        raise Invalid("未知服务中心 / Unknown centre", {"to_id": [f"no centre {ref}"]})
    if centre.region.code not in relay_codes(case):
        raise Invalid(
            "服务中心不在本件的流转链上 / The centre is not on this case's relay",
            {
                "to_id": [
                    f"centre {ref} is neither this case's village, township nor deciding centre"
                ]
            },
        )
    return centre


def relay_codes(case: Case) -> set[str]:
    """Regions whose centres may hold a case: its village's room, its township's centre, and
    the county or city centre where its item is decided."""
    code = case.village.code
    return {code, township_code(code), decision_code(code, case.item.level)}


# Any centre on the relay may hold a file on its way back, or one stopped where it was.
_ANYWHERE = frozenset({Status.SUPPLEMENT, Status.REFUSED, Status.WITHDRAWN, Status.SUSPENDED})
#: The statuses in which each kind of centre may hold a case's documents.
CENTRE_HOLDS: dict[str, frozenset[Status]] = {
    "village": frozenset(
        {Status.REGISTERED, Status.MATERIALS_CHECKED, Status.RETURNED, Status.RETURNING}
    )
    | _ANYWHERE,
    "township": frozenset({Status.AT_TOWNSHIP, Status.DECIDED, Status.RETURNING}) | _ANYWHERE,
    "county": frozenset({Status.AT_COUNTY, Status.DECIDED}) | _ANYWHERE,
    "city": frozenset({Status.AT_COUNTY, Status.DECIDED}) | _ANYWHERE,
}


def _status_follows_holder(case: Case, centre: ServiceCentre | None, status: Status) -> None:
    """A centre holds a case only in a status that says so; else the hand-over is refused."""
    if centre is None or status in CENTRE_HOLDS[centre.kind]:
        return
    holds = ", ".join(sorted(CENTRE_HOLDS[centre.kind]))
    raise Invalid(
        f"代办件为 {status}，{centre.name} 不能接收 / A {centre.kind} centre holds a case only "
        f"when it is {holds}; this one would stay {status}",
        {"to_id": [f"centre {centre.id} cannot hold a case that is {status}"]},
    )


IMPLIED = {
    # (current status, receiver kind, centre kind or None) -> implied status
    (Status.MATERIALS_CHECKED, HolderKind.AGENT, None): Status.WITH_AGENT,
    (Status.MATERIALS_CHECKED, HolderKind.CENTRE, "township"): Status.AT_TOWNSHIP,
    (Status.WITH_AGENT, HolderKind.CENTRE, "township"): Status.AT_TOWNSHIP,
    (Status.AT_TOWNSHIP, HolderKind.CENTRE, "county"): Status.AT_COUNTY,
    (Status.AT_TOWNSHIP, HolderKind.CENTRE, "city"): Status.AT_COUNTY,
    (Status.DECIDED, HolderKind.AGENT, None): Status.RETURNING,
    (Status.DECIDED, HolderKind.CENTRE, "township"): Status.RETURNING,
    (Status.DECIDED, HolderKind.CENTRE, "village"): Status.RETURNING,
}


def hand_over(
    session: DbSession,
    scope: Scope,
    case: Case,
    to_kind: str,
    to_id: int,
    *,
    at: datetime | None = None,
    centre_id: int | None = None,
    lon: float | None = None,
    lat: float | None = None,
    items: list[str] | None = None,
    signature_png: str | None = None,
    photo_jpeg: str | None = None,
    note: str = "",
    idempotency_key: str | None = None,
) -> CustodyEvent:
    """Record a hand-over from the current holder; it may also advance the case's status."""
    _writable(scope)
    if idempotency_key:
        done = session.scalar(
            select(CustodyEvent).where(CustodyEvent.idempotency_key == idempotency_key)
        )
        if done is not None:
            if done.case_id != case.id:
                raise Conflict("幂等键已用于另一件 / Idempotency key used for another case")
            return done
    status = Status(case.status)
    if status in NO_HAND_OVER:
        raise Conflict(no_hand_over_message(case))
    kind = HolderKind(to_kind)
    if (kind, to_id) == (case.holder_kind, case.holder_id):
        raise Conflict("接收方已持有材料 / The receiver already holds the documents")
    if (
        scope.role == Role.AGENT
        and (case.holder_kind, case.holder_id) != (HolderKind.AGENT, scope.agent_id)
        and kind != HolderKind.AGENT
    ):
        raise Forbidden("代办员只能交出自己持有的材料 / Agents hand over only what they hold")
    centre = _holder_exists(session, scope, case, kind, to_id)
    now = at or datetime.now(UTC)
    # Taking a villager's documents up needs their mandate; bringing them home never does.
    if kind == HolderKind.AGENT and case.channel == "agent" and status in GOING_UP:
        require_entrustment(
            session, case, cst_date(now), _entrusted_agent_needed(session, case, to_id)
        )
    implied = IMPLIED.get((status, kind, centre.kind if centre else None))
    if implied and implied not in allowed_next(status, case.item.level):
        implied = None
    if kind == HolderKind.APPLICANT and status in GOING_DOWN:
        implied = GOING_DOWN[status]
    _status_follows_holder(case, centre, implied or status)
    event = record_custody(
        session,
        scope,
        case,
        kind,
        to_id,
        now,
        centre_id=centre.id if centre else centre_id,
        lon=lon,
        lat=lat,
        items=items,
        signature_png=signature_png,
        photo_jpeg=photo_jpeg,
        note=note,
        idempotency_key=idempotency_key,
    )
    if implied:
        apply_move(session, scope, case, implied, f"交接 {event.receipt_no}", now)
    else:
        case.version += 1
    session.commit()
    return event


def _entrusted_agent_needed(session: DbSession, case: Case, to_id: int) -> int | None:
    """The agent an entrustment must name for them to take the documents: anyone taking them
    from the villager, the village room or another agent. From a township (or county, city)
    centre on, the file is in the offices' own relay (the car's county run): the entrustment
    must still be in force, but the driver need not be named in it."""
    if case.holder_kind == HolderKind.CENTRE:
        centre = session.get(ServiceCentre, case.holder_id)
        if centre is not None and centre.kind != "village":
            return None
    return to_id


def no_hand_over_message(case: Case) -> str:
    if case.status == Status.SUSPENDED:
        return (
            "代办已中止，材料留在原处；请先续办 / The case is suspended and its documents stay "
            f"where they are: continue it first (POST /api/cases/{case.id}/continuation)"
        )
    if case.status == Status.SUPPLEMENTING:
        return (
            "申请人正在补正；补齐后先登记收到补正材料 / The villager is supplementing: record "
            f"the supplement first (POST /api/cases/{case.id}/supplement-received)"
        )
    return f"代办件已{case.status} / The case is {case.status}; no hand-over"


def record_custody(
    session: DbSession,
    scope: Scope,
    case: Case,
    kind: HolderKind,
    to_id: int,
    now: datetime,
    **fields: Any,
) -> CustodyEvent:
    """Add the next hand-over (交接单) of the case and make the receiver its holder."""
    seq = (
        session.scalar(select(func.max(CustodyEvent.seq)).where(CustodyEvent.case_id == case.id))
        or 0
    ) + 1
    fields["items"] = fields.get("items") or []
    fields["note"] = fields.get("note") or ""
    fields["signature_hash"] = keep(fields.pop("signature_png", None), "signature_png")
    fields["photo_hash"] = keep(fields.pop("photo_jpeg", None), "photo_jpeg")
    event = CustodyEvent(
        case_id=case.id,
        seq=seq,
        receipt_no=f"JJ{cst_date(now):%Y%m%d}{case.id:06d}{seq:03d}",
        from_kind=case.holder_kind,
        from_id=case.holder_id,
        to_kind=kind,
        to_id=to_id,
        at=now,
        recorded_by_id=scope.user_id,
        **fields,
    )
    session.add(event)
    case.custody.append(event)
    case.holder_kind, case.holder_id = kind, to_id
    return event


def holder_label(session: DbSession, kind: str, ref: int) -> str:
    """A human name for a holder, for timelines and look-ups."""
    if kind == HolderKind.APPLICANT:
        a = session.get(Applicant, ref)
        return f"申请人 {a.name[0]}**" if a else "申请人"
    if kind == HolderKind.AGENT:
        agent = session.get(Agent, ref)
        return f"代办员 {agent.name}" if agent else "代办员"
    centre = session.get(ServiceCentre, ref)
    return centre.name if centre else "服务中心"


def enqueue_case_event(
    session: DbSession, case: Case, kind: str, extra: dict[str, str] | None = None
) -> None:
    """Write the villager-facing message for this change into the outbox (same transaction)."""
    outbox.enqueue_case_message(session, case, kind, extra)


def today_cst() -> date:
    return cst_date(datetime.now(UTC))
