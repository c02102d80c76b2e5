"""Home visits (预约上门服务): booked for vulnerable applicants or in-person items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select

from dispatch.errors import Conflict, Invalid
from dispatch.extensions import DbSession
from dispatch.models.agents import Appointment, AppointmentStatus
from dispatch.models.applicants import Applicant
from dispatch.models.cases import Case
from dispatch.security import Scope
from dispatch.services.applicants import scoped_applicants
from dispatch.services.cases import scoped_cases
from dispatch.services.scoping import one_or_404

HORIZON = timedelta(days=366)
LONGEST = timedelta(hours=12)
NEXT = {
    AppointmentStatus.BOOKED: [
        AppointmentStatus.DONE,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.MISSED,
    ]
}


def scoped_appointments(scope: Scope) -> Select[Any]:
    """Appointments of the applicants the caller may see."""
    visible = scoped_applicants(scope).with_only_columns(Applicant.id)
    return select(Appointment).where(Appointment.applicant_id.in_(visible))


def list_appointments(
    scope: Scope,
    status: str | None = None,
    applicant: int | None = None,
    case: int | None = None,
    starts_after: datetime | None = None,
    starts_before: datetime | None = None,
) -> Select[Any]:
    stmt = scoped_appointments(scope)
    if status:
        stmt = stmt.where(Appointment.status == status)
    if applicant:
        stmt = stmt.where(Appointment.applicant_id == applicant)
    if case:
        stmt = stmt.where(Appointment.case_id == case)
    if starts_after:
        stmt = stmt.where(Appointment.window_start >= starts_after)
    if starts_before:
        stmt = stmt.where(Appointment.window_start < starts_before)
    return stmt.order_by(Appointment.window_start, Appointment.id)


def get_appointment(session: DbSession, scope: Scope, appointment_id: int) -> Appointment:
    stmt = scoped_appointments(scope).where(Appointment.id == appointment_id)
    return one_or_404(session, stmt, "预约 appointment", appointment_id)  # type: ignore[no-any-return]


def check_window(start: datetime, end: datetime, now: datetime) -> None:
    """A window is aware, ordered, in the future, within a year and at most 12 hours long."""
    if start.tzinfo is None or end.tzinfo is None:
        raise Invalid(
            "时间须带时区 / Give times with a UTC offset",
            {"window_start": ["needs a UTC offset, e.g. +08:00"]},
        )
    if start >= end:
        raise Invalid(
            "时段起止颠倒 / The window ends before it starts",
            {"window_end": ["must be after window_start"]},
        )
    if start < now:
        raise Invalid(
            "不能预约过去的时间 / The window is in the past",
            {"window_start": ["must not be in the past"]},
        )
    if start > now + HORIZON:
        raise Invalid("预约太远 / Too far ahead", {"window_start": ["at most a year ahead"]})
    if end - start > LONGEST:
        raise Invalid("时段太长 / Window too long", {"window_end": ["at most 12 hours long"]})


def create_appointment(
    session: DbSession,
    scope: Scope,
    applicant_id: int,
    window_start: datetime,
    window_end: datetime,
    case_id: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Book a home visit; the planner adds slot checks and locking on top of this."""
    check_window(window_start, window_end, now or datetime.now(UTC))
    applicant = session.scalar(scoped_applicants(scope).where(Applicant.id == applicant_id))
    if applicant is None:
        raise Invalid(
            "申请人不存在或不在辖区 / Unknown applicant",
            {"applicant_id": [f"no applicant {applicant_id} in your scope"]},
        )
    case = None
    if case_id is not None:
        case = session.scalar(
            scoped_cases(scope).where(Case.id == case_id, Case.applicant_id == applicant.id)
        )
        if case is None:
            raise Invalid(
                "代办件不属于该申请人 / Not this applicant's case",
                {"case_id": [f"no case {case_id} of applicant {applicant_id}"]},
            )
    if not (applicant.vulnerable or (case is not None and case.item.in_person)):
        raise Invalid(
            "上门服务仅限困难群众或须本人到场的事项 / Home visits are for vulnerable "
            "applicants or in-person items",
            {"applicant_id": ["not vulnerable, and no in-person case given"]},
        )
    appointment = Appointment(
        applicant=applicant,
        case_id=case_id,
        window_start=window_start,
        window_end=window_end,
        note=note,
    )
    session.add(appointment)
    session.commit()
    return appointment


def update_appointment(
    session: DbSession,
    scope: Scope,
    appointment: Appointment,
    status: str | None = None,
    note: str | None = None,
) -> Appointment:
    """Record the outcome (done, missed) or cancel; a closed appointment stays closed."""
    if status is not None and status != appointment.status:
        allowed = NEXT.get(AppointmentStatus(appointment.status), [])
        if status not in allowed:
            raise Conflict(
                f"预约已{appointment.status} / The appointment is {appointment.status}",
                allowed=[s.value for s in allowed],
            )
        appointment.status = AppointmentStatus(status)
    if note is not None:
        appointment.note = note
    session.commit()
    return appointment
