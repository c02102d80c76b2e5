"""Home visits (预约上门服务): booked for vulnerable applicants or in-person items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from dispatch.errors import Conflict, Gone, Invalid
from dispatch.models.agents import Appointment, AppointmentStatus
from dispatch.models.applicants import Applicant
from dispatch.models.session import DbSession
from dispatch.models.users import Scope
from dispatch.services.applicants import scoped_applicants
from dispatch.services.scoping import one_or_404

NEXT = {AppointmentStatus.BOOKED: [AppointmentStatus.DONE, AppointmentStatus.MISSED]}


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


def refuse_direct_booking() -> None:
    """Visits are written one way, by :mod:`dispatch.services.bookings`: the slot checked
    under the township's lock, the villager's SMS and the plan's re-plan with it."""
    raise Gone(
        "请用 POST /api/bookings/ 预约 / Book home visits with POST /api/bookings/ "
        "(it checks the slot against the plan and confirms by SMS)",
        use="/api/bookings/",
    )


def update_appointment(
    session: DbSession,
    scope: Scope,
    appointment: Appointment,
    status: str | None = None,
    note: str | None = None,
) -> Appointment:
    """Record the outcome (done, missed); a closed appointment stays closed. Cancelling is
    ``POST /api/bookings/<id>/cancel``, which frees the slot and tells the plan."""
    if status == AppointmentStatus.CANCELLED and appointment.status != status:
        raise Invalid(
            f"请用 POST /api/bookings/{appointment.id}/cancel 取消 / Cancel with "
            f"POST /api/bookings/{appointment.id}/cancel",
            {"status": [f"cancel with POST /api/bookings/{appointment.id}/cancel"]},
        )
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
