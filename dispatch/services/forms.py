"""Printed forms: find the case or route the caller may see, and render its PDF.

A form names the applicant (their ID number masked) and may carry their signature: each print
is noted as a whole read of the name (and the signature), so the API records it (purpose
``printed_form``) as it records a JSON answer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from dispatch.errors import Conflict, NotFound
from dispatch.forms import case_forms
from dispatch.forms.route_sheet import route_sheet as render_route_sheet
from dispatch.models.agents import Agent
from dispatch.models.applicants import Applicant
from dispatch.models.cases import Case, CustodyEvent, HolderKind, Status
from dispatch.models.plans import Plan, PlanRoute, PlanStatus
from dispatch.models.session import DbSession
from dispatch.models.users import Scope
from dispatch.privacy import applicant_subject, note_whole
from dispatch.services import entrustments
from dispatch.services.cases import get_case, holder_label, today_cst
from dispatch.services.images import image

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
    body, signed = _render(session, case, kind, seq)
    note_whole(applicant_subject(case.applicant), {"name", "signature"} if signed else {"name"})
    return body


def _render(session: DbSession, case: Case, kind: str, seq: int | None) -> tuple[bytes, bool]:
    """The form's PDF, and whether it prints the applicant's signature or thumbprint."""
    sheet = case_forms.CaseSheet(case, _office(session, case), datetime.now(UTC))
    if kind == "handover":
        event = _custody_event(case, seq)
        giver = holder_label(session, event.from_kind, event.from_id)
        receiver = holder_label(session, event.to_kind, event.to_id)
        villager = HolderKind.APPLICANT in (event.from_kind, event.to_kind)
        captured = image(event.signature_hash)
        body = case_forms.handover(sheet, event, giver, receiver, captured)
        return body, villager and captured is not None
    if kind == "entrustment":
        found = entrustments.get_entrustment(session, case)
        signed = image(found.signature_hash or found.thumbprint_hash)
        return case_forms.entrustment(sheet, found, today_cst(), signed), signed is not None
    return _unsigned(case, sheet, kind), False


def _unsigned(case: Case, sheet: case_forms.CaseSheet, kind: str) -> bytes:
    if kind == "receipt":
        return case_forms.receipt(sheet)
    if kind == "notice":
        return case_forms.notice(sheet, _notice_text(case))
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
    for applicant in _villagers(session, route):
        note_whole(applicant_subject(applicant), {"name"})
    return render_route_sheet(plan, route, datetime.now(UTC))


def _villagers(session: DbSession, route: PlanRoute) -> list[Applicant]:
    """The villagers a route sheet names: by their cases on its stops, or their home."""
    found = {c.applicant.id: c.applicant for s in route.stops for c in s.cases}
    homes = {s.applicant_id for s in route.stops if s.applicant_id} - set(found)
    found |= {a.id: a for a in (session.get(Applicant, i) for i in homes) if a is not None}
    return list(found.values())
