"""Printed forms: find the case or route the caller may see, and render its PDF."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from dispatch.errors import Conflict, NotFound
from dispatch.extensions import DbSession
from dispatch.forms import case_forms
from dispatch.forms.route_sheet import route_sheet as render_route_sheet
from dispatch.models.agents import Agent
from dispatch.models.cases import Case, CustodyEvent, HolderKind, Status
from dispatch.models.plans import Plan, PlanRoute, PlanStatus
from dispatch.models.users import Scope
from dispatch.services import entrustments
from dispatch.services.cases import get_case, holder_label, today_cst

KINDS = ("receipt", "notice", "handover", "decision", "entrustment")
DECIDED = {Status.DECIDED, Status.RETURNING, Status.DELIVERED, Status.CLOSED}


def case_form(
    session: DbSession, scope: Scope, case_id: int, kind: str, seq: int | None = None
) -> bytes:
    """The PDF of form ``kind`` for a case in the caller's scope (404 outside it)."""
    if kind not in KINDS:
        raise NotFound(
            f"没有表单 {kind} / No form '{kind}'; forms: {', '.join(KINDS)}", kinds=list(KINDS)
        )
    case = get_case(session, scope, case_id)
    sheet = case_forms.CaseSheet(case, _office(session, case), datetime.now(UTC))
    if kind == "receipt":
        return case_forms.receipt(sheet)
    if kind == "notice":
        return case_forms.notice(sheet, _notice_text(case))
    if kind == "handover":
        event = _custody_event(case, seq)
        giver = holder_label(session, event.from_kind, event.from_id)
        receiver = holder_label(session, event.to_kind, event.to_id)
        return case_forms.handover(sheet, event, giver, receiver)
    if kind == "entrustment":
        found = entrustments.get_entrustment(session, case)
        return case_forms.entrustment(sheet, found, today_cst())
    if case.refusal_kind:
        return case_forms.decision(sheet, case.refusal_reason, case.refusal_kind)
    if Status(case.status) not in DECIDED:
        raise Conflict(
            f"代办件尚未办结（{case.status}）/ The case is not decided yet ({case.status})"
        )
    return case_forms.decision(sheet)


def _notice_text(case: Case) -> str:
    if not case.missing_notice:
        raise Conflict(
            "此件没有一次性告知 / No one-time notice: the case was never returned for missing "
            "materials"
        )
    return case.missing_notice


def _custody_event(case: Case, seq: int | None) -> CustodyEvent:
    if not case.custody:
        raise Conflict("此件尚无交接 / No hand-over recorded for this case yet")
    if seq is None:
        return case.custody[-1]
    for event in case.custody:
        if event.seq == seq:
            return event
    raise NotFound(f"没有第 {seq} 次交接 / No hand-over {seq} on this case")


def _office(session: DbSession, case: Case) -> str:
    """Who prints: the centre holding the documents, else the case's village room."""
    if case.holder_kind == HolderKind.CENTRE:
        return holder_label(session, case.holder_kind, case.holder_id)
    return f"{case.village.name}便民服务室"


def route_sheet(session: DbSession, scope: Scope, agent_id: int, day: date) -> bytes:
    """An agent's published route for ``day``: the agent's own, or one in the caller's region."""
    agent = session.get(Agent, agent_id)
    mine = scope.agent_id == agent_id
    visible = agent is not None and (
        mine if scope.role == "agent" else scope.covers(agent.region.code)
    )
    if agent is None or not visible:
        raise NotFound(f"没有代办员 {agent_id}，或不在您的辖区 / No agent {agent_id} in your scope")
    row = session.execute(
        select(Plan, PlanRoute)
        .join(PlanRoute, PlanRoute.plan_id == Plan.id)
        .where(
            Plan.day == day,
            Plan.status == PlanStatus.PUBLISHED,
            PlanRoute.agent_id == agent_id,
        )
        .order_by(Plan.version.desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotFound(f"{day} 没有 {agent.name} 的已发布路线 / No published route on {day}")
    plan, route = row
    return render_route_sheet(plan, route, datetime.now(UTC))
