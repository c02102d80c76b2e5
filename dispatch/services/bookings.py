"""Home-visit booking as the API sees it: scope checks around the planning booking rules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from dispatch.errors import Forbidden, Invalid, NotFound
from dispatch.models.agents import Appointment, AppointmentStatus
from dispatch.models.applicants import Applicant
from dispatch.models.cases import Case
from dispatch.models.catalog import ServiceItem
from dispatch.models.plans import Job
from dispatch.models.regions import township_code
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope
from dispatch.planning import booking
from dispatch.planning.service import current_plan, tell_unplanned
from dispatch.services.applicants import get_applicant
from dispatch.services.appointments import get_appointment
from dispatch.workdays import CST

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


@dataclass
class Booked:
    """A booking as answered: the appointment, and the re-plan job its change started
    (None when the day has no published plan to change)."""

    appointment: Appointment
    replan_job: Job | None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.appointment, name)


def _replan_job(
    session: DbSession, apt: Appointment, applicant: Applicant, day: date, reason: str
) -> Job | None:
    """The job that re-plans the day's published plan after this commit, if there is one."""
    town = township_code(applicant.village.code)
    township_id = applicant.village.parent_id
    if township_id is None or current_plan(session, township_id, day) is None:
        return None
    job = Job(
        id=str(uuid.uuid4()),
        kind="replan",
        total=1,
        region_prefix=applicant.village.code,
        params={
            "township": town,
            "day": day.isoformat(),
            "reason": reason,
            "appointment_id": apt.id,
        },
    )
    session.add(job)
    return job


def book(
    session: DbSession,
    scope: Scope,
    applicant_id: int,
    day: date,
    slot: str,
    case_id: int | None = None,
    now: datetime | None = None,
) -> Booked:
    """Book a slot: the visit, its SMS and the re-plan job in one commit."""
    applicant = _applicant(session, scope, applicant_id)
    case = _case(session, case_id)
    apt = booking.book(session, applicant, day, slot, case, scope.user_id, now=now)
    job = _replan_job(session, apt, applicant, day, "新预约 / new booking")
    session.commit()
    return Booked(apt, job)


def cancel(session: DbSession, scope: Scope, appointment_id: int, reason: str) -> Booked:
    """Cancel a booking: the slot freed and the re-plan job in one commit."""
    if scope.role not in BOOKERS:
        raise Forbidden("只读角色 / Your role cannot cancel visits")
    apt = get_appointment(session, scope, appointment_id)
    booking.cancel(session, apt, reason)
    day = apt.window_start.astimezone(CST).date()
    job = _replan_job(session, apt, apt.applicant, day, "取消预约 / booking cancelled")
    session.commit()
    return Booked(apt, job)


def replan_failed(session: DbSession, job_id: str, message: str) -> None:
    """A booking's re-plan job failed: the job says why, and if the booked visit is not in
    the day's published plan its villager is told (``booking_unplanned``); one commit."""
    session.rollback()
    job = session.get(Job, job_id)
    assert job is not None
    fail_replan(session, job, message)
    session.commit()


def fail_replan(session: DbSession, job: Job, message: str) -> None:
    """``replan_failed``'s writes, in the caller's transaction (the sweep's, too)."""
    job.status, job.error = "failed", message
    apt_id = job.params.get("appointment_id")
    apt = session.get(Appointment, apt_id) if apt_id else None
    if apt is not None and apt.status == AppointmentStatus.BOOKED:
        plan = current_plan(
            session, apt.applicant.village.parent_id or 0, date.fromisoformat(job.params["day"])
        )
        keys = {s.task_key for r in plan.routes for s in r.stops} if plan else set()
        if f"visit:{apt.id}" not in keys:
            tell_unplanned(session, apt, plan.id if plan else None)
