"""Home-visit booking as the API sees it: scope checks around the planning booking rules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from dispatch.errors import Forbidden, Invalid, NotFound
from dispatch.extensions import DbSession
from dispatch.models.agents import Appointment
from dispatch.models.applicants import Applicant
from dispatch.models.cases import Case
from dispatch.models.catalog import ServiceItem
from dispatch.models.users import Role
from dispatch.planning import booking
from dispatch.security import Scope
from dispatch.services.applicants import get_applicant
from dispatch.services.appointments import get_appointment

BOOKERS = {Role.ADMIN, Role.DISPATCHER, Role.VILLAGE_STAFF, Role.AGENT}


def _applicant(session: DbSession, scope: Scope, applicant_id: int) -> Applicant:
    """The applicant as ``GET /api/applicants/<id>`` scopes them (an agent: their zone and
    cases), before any rule about them is checked, so a 422 never tells about a stranger."""
    if scope.role not in BOOKERS:
        raise Forbidden("只读角色 / Your role cannot book visits")
    return get_applicant(session, scope, applicant_id)


def _case(session: DbSession, case_id: int | None) -> Case | None:
    if case_id is None:
        return None
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"没有代办件 {case_id} / No case {case_id}")
    return case


def _item(session: DbSession, code: str | None, case: Case | None) -> ServiceItem | None:
    """The service a slot is looked up for before its case is registered."""
    if code is None:
        return None
    item = session.scalar(select(ServiceItem).where(ServiceItem.code == code))
    if item is None or not item.active:
        raise Invalid("未知事项 / Unknown service item", {"item_code": [f"no item {code}"]})
    if case is not None and case.item_id != item.id:
        raise Invalid(
            "事项与代办件不符 / The service is not the case's",
            {"item_code": [f"case {case.id} is for {case.item.code}"]},
        )
    return item


def slots(
    session: DbSession,
    scope: Scope,
    applicant_id: int,
    day: date,
    case_id: int | None = None,
    item_code: str | None = None,
) -> list[dict[str, Any]]:
    applicant = _applicant(session, scope, applicant_id)
    case = _case(session, case_id)
    item = _item(session, item_code, case)
    return booking.available_slots(session, applicant, day, case, item)


def book(
    session: DbSession,
    scope: Scope,
    applicant_id: int,
    day: date,
    slot: str,
    case_id: int | None = None,
    now: datetime | None = None,
) -> Appointment:
    applicant = _applicant(session, scope, applicant_id)
    case = _case(session, case_id)
    return booking.book(session, applicant, day, slot, case, scope.user_id, now=now)


def cancel(session: DbSession, scope: Scope, appointment_id: int, reason: str) -> Appointment:
    if scope.role not in BOOKERS:
        raise Forbidden("只读角色 / Your role cannot cancel visits")
    apt = get_appointment(session, scope, appointment_id)
    return booking.cancel(session, apt, reason)
