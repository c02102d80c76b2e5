"""Home-visit booking as the API sees it: scope checks around the planning booking rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from dispatch.errors import Forbidden, NotFound
from dispatch.extensions import DbSession
from dispatch.models.agents import Appointment
from dispatch.models.applicants import Applicant
from dispatch.models.cases import Case
from dispatch.models.users import Role
from dispatch.planning import booking
from dispatch.security import Scope

BOOKERS = {Role.ADMIN, Role.DISPATCHER, Role.VILLAGE_STAFF, Role.AGENT}


def _applicant(session: DbSession, scope: Scope, applicant_id: int) -> Applicant:
    if scope.role not in BOOKERS:
        raise Forbidden("只读角色 / Your role cannot book visits")
    applicant = session.get(Applicant, applicant_id)
    if applicant is None or (scope.role != Role.AGENT and not scope.covers(applicant.village.code)):
        raise NotFound(
            f"没有申请人 {applicant_id}，或不在辖区 / No applicant {applicant_id} in your region"
        )
    return applicant


def _case(session: DbSession, case_id: int | None) -> Case | None:
    if case_id is None:
        return None
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"没有代办件 {case_id} / No case {case_id}")
    return case


def slots(
    session: DbSession, scope: Scope, applicant_id: int, day: date, case_id: int | None = None
) -> list[dict[str, Any]]:
    applicant = _applicant(session, scope, applicant_id)
    return booking.available_slots(session, applicant, day, _case(session, case_id))


def book(
    session: DbSession,
    scope: Scope,
    applicant_id: int,
    day: date,
    slot: str,
    case_id: int | None = None,
) -> Appointment:
    applicant = _applicant(session, scope, applicant_id)
    return booking.book(session, applicant, day, slot, _case(session, case_id), scope.user_id)


def cancel(session: DbSession, scope: Scope, appointment_id: int, reason: str) -> Appointment:
    apt = booking.get_appointment(session, appointment_id)
    _applicant(session, scope, apt.applicant_id)
    return booking.cancel(session, apt, reason)
