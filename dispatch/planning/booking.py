"""Home-visit slots that the plan can really absorb, and booking them under a lock.

A slot is offered only if a visit in that window can be inserted into the day's routes (the
published plan, plus visits booked since it was made) without breaking any window, shift,
break or capacity. Booking re-checks the same thing while holding the township's lock.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

import routing
from dispatch.errors import Conflict, Invalid
from dispatch.models.agents import Appointment, AppointmentStatus
from dispatch.models.applicants import Applicant
from dispatch.models.cases import Case
from dispatch.models.catalog import ServiceItem
from dispatch.models.outbox import enqueue
from dispatch.models.regions import township_code
from dispatch.models.session import DbSession
from dispatch.planning.build import NoAgentOnShift, routing_task
from dispatch.planning.locks import lock_township_plans
from dispatch.planning.rides import Ride, place_ride, rides_of
from dispatch.planning.service import Prepared, current_plan, prepare
from dispatch.planning.tasks import TaskSpec, hub_of, visit_tasks
from dispatch.workdays import CST

SLOTS = (("08:30", "10:30"), ("10:30", "12:00"), ("14:30", "16:30"), ("16:00", "18:00"))


#: A slot is offered and booked only if it starts at least this long from now: the agent
#: needs the time to get there, and the villager the confirmation.
LEAD = timedelta(hours=1)
#: How far ahead a visit may be booked, from today (CST).
HORIZON = timedelta(days=30)


def _slot_bounds(day: date, slot: tuple[str, str]) -> tuple[datetime, datetime]:
    a, b = (time.fromisoformat(x) for x in slot)
    return datetime.combine(day, a, tzinfo=CST), datetime.combine(day, b, tzinfo=CST)


def _starts_in_time(window: tuple[datetime, datetime], now: datetime) -> bool:
    """The one rule for "too late to book", shared by the slot list and the booking."""
    return window[0] >= now + LEAD


def _base(session: DbSession, prep: Prepared) -> routing.Solution:
    """The day's routes as published, with visits booked since then inserted."""
    problem = prep.built.problem
    plan = current_plan(session, prep.ctx.township.id, prep.ctx.day)
    ids: dict[str, list[routing.TaskKey]] = defaultdict(list)
    for tid, (task, role) in sorted(prep.built.task_of.items()):
        ids[task.key].append(tid if role == "job" else (role, tid))
    agent_vehicle = {a: v for v, a in prep.built.vehicle_agent.items()}
    routes: dict[int, list[routing.TaskKey]] = {}
    if plan is not None:
        for route in plan.routes:
            if route.agent_id not in agent_vehicle:
                continue
            seen: list[routing.TaskKey] = []
            for stop in route.stops:
                for key in ids.get(stop.task_key, []):
                    if key not in seen:
                        seen.append(key)
            routes[agent_vehicle[route.agent_id]] = seen
    solution = routing.evaluate(problem, routes)
    if routing.check(problem, solution):
        solution = routing.evaluate(problem, {})
    rides = {ride.there[0][1]: ride for ride in rides_of(prep.built.task_of)}
    for tid, (task, role) in sorted(prep.built.task_of.items()):
        if (
            not task.key.startswith("visit:")
            or role not in ("job", "pickup")
            or task.ride_out  # goes in with its ride there
            or _routed(solution, task.key)
        ):
            continue
        inserted = _insert_visit(problem, solution, tid, role, rides)
        if inserted is not None:
            solution = inserted
    return solution


def _insert_visit(
    problem: routing.Problem,
    solution: routing.Solution,
    tid: int,
    role: str,
    rides: dict[int, Ride],
) -> routing.Solution | None:
    """A visit at its cheapest place; an in-person applicant's round trip on one car."""
    if tid in rides:
        return place_ride(problem, solution, rides[tid])
    return routing.try_insert(problem, solution, tid if role == "job" else ("pickup", tid))


def _routed(solution: routing.Solution, key: str) -> bool:
    return any(s.description.split("#")[0] == key for r in solution.routes for s in r.steps)


def _fits(
    prep: Prepared,
    base: routing.Solution,
    applicant: Applicant,
    case: Case | None,
    window: tuple[datetime, datetime],
    item: ServiceItem | None = None,
) -> bool:
    apt = Appointment(
        applicant=applicant,
        applicant_id=applicant.id,
        case_id=case.id if case else None,
        window_start=window[0],
        window_end=window[1],
    )
    problem = prep.built.problem
    task_of: dict[int, tuple[TaskSpec, str]] = {}
    first_id = max(prep.built.task_of, default=0) + 1
    for task in visit_tasks(apt, case, hub_of(prep.ctx), item):
        converted = routing_task(task, first_id + len(task_of))
        if isinstance(converted.task, routing.Job):
            problem = dataclasses.replace(problem, jobs=problem.jobs + (converted.task,))
        else:
            problem = dataclasses.replace(problem, shipments=problem.shipments + (converted.task,))
        task_of.update(converted.task_of)
    rides = {ride.there[0][1]: ride for ride in rides_of(task_of)}
    role = task_of[first_id][1]
    return _insert_visit(problem, base, first_id, role, rides) is not None


def _check_request(
    session: DbSession,
    applicant: Applicant,
    day: date,
    case: Case | None,
    item: ServiceItem | None = None,
    now: datetime | None = None,
) -> None:
    today = (now or datetime.now(UTC)).astimezone(CST).date()
    if day < today:
        raise Invalid(
            "不能预约过去的日期 / Cannot book a day in the past",
            {"date": [f"{day} is before today {today}"]},
        )
    if day > today + HORIZON:
        raise Invalid(
            f"只能预约{HORIZON.days}天内 / Book at most {HORIZON.days} days ahead",
            {"date": [f"{day} is after {today + HORIZON}"]},
        )
    item = case.item if case is not None else item
    if not applicant.vulnerable and not (item and item.in_person):
        raise Invalid(
            "上门服务仅面向老年人和残疾人 / Home visits are for elderly or disabled villagers; "
            "others drop their documents at the village room",
            {"applicant_id": ["not marked as elderly or disabled"]},
        )
    if case is not None and case.applicant_id != applicant.id:
        raise Invalid(
            "该件不属于此申请人 / The case is not this applicant's", {"case_id": [str(case.id)]}
        )


def available_slots(
    session: DbSession,
    applicant: Applicant,
    day: date,
    case: Case | None = None,
    item: ServiceItem | None = None,
) -> list[dict[str, Any]]:
    """The day's slots; ``item`` is the service when no case is registered yet, so that an
    in-person service is offered only the slots its round trip fits, as ``book`` will check."""
    _check_request(session, applicant, day, case, item)
    try:
        prep: Prepared | None = prepare(session, township_code(applicant.village.code), day)
    except NoAgentOnShift:  # a day nobody works: every slot is listed, none available
        prep = None
    base = _base(session, prep) if prep else None
    out = []
    now = datetime.now(UTC)
    for slot in SLOTS:
        window = _slot_bounds(day, slot)
        ok = (
            prep is not None
            and base is not None
            and _starts_in_time(window, now)
            and _fits(prep, base, applicant, case, window, item)
        )
        out.append(
            {"start": window[0], "end": window[1], "label": f"{slot[0]}-{slot[1]}", "available": ok}
        )
    return out


def book(
    session: DbSession,
    applicant: Applicant,
    day: date,
    slot_label: str,
    case: Case | None = None,
    user_id: int | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book a slot if, under the lock, the plan can still absorb it."""
    now = now or datetime.now(UTC)
    _check_request(session, applicant, day, case, now=now)
    slot = next((s for s in SLOTS if f"{s[0]}-{s[1]}" == slot_label), None)
    if slot is None:
        raise Invalid(
            "未知时段 / Unknown slot",
            {"slot": [f"one of {', '.join(a + '-' + b for a, b in SLOTS)}"]},
        )
    window = _slot_bounds(day, slot)
    if not _starts_in_time(window, now):
        raise Invalid(
            "该时段已过或一小时内开始 / That slot has passed or starts within the hour",
            {"slot": [f"{day} {slot_label} starts before {LEAD} from now; pick a later slot"]},
        )
    # The township's lock, held until the caller commits: bookings, publishes and re-plan
    # jobs of one township take turns, and each sees what the one before committed.
    lock_township_plans(session, applicant.village.parent_id or applicant.village_id)
    _refuse_double_booking(session, applicant, window, slot_label)
    try:
        prep = prepare(session, township_code(applicant.village.code), day)
    except NoAgentOnShift as err:  # no slot of the day can be served: as a slot that fits no day
        raise Invalid(err.message, {"slot": [f"{day} {slot_label}: no agent on shift"]}) from err
    if not _fits(prep, _base(session, prep), applicant, case, window):
        _refuse_slot(prep, applicant, case, day, slot_label, window)
    apt = Appointment(
        applicant_id=applicant.id,
        case_id=case.id if case else None,
        window_start=window[0],
        window_end=window[1],
    )
    session.add(apt)
    session.flush()
    _confirm(session, apt, applicant, day, slot_label, case)
    return apt


def _refuse_slot(
    prep: Prepared,
    applicant: Applicant,
    case: Case | None,
    day: date,
    slot_label: str,
    window: tuple[datetime, datetime],
) -> None:
    """A slot the day cannot hold even with no other stop is a 422 (no booking of anyone
    takes it, so asking again cannot help); one that other stops filled is a 409."""
    if not _fits(prep, routing.evaluate(prep.built.problem, {}), applicant, case, window):
        raise Invalid(
            f"{day} {slot_label} 无法上门：当天没有代办员能在此时段到达 / No agent on shift that "
            f"day can reach this villager within {slot_label}; pick a slot that "
            "GET /api/bookings/slots lists as available",
            {"slot": [f"{day} {slot_label} does not fit any agent's day"]},
            slot=slot_label,
        )
    raise Conflict(
        "该时段已满 / That slot is no longer available; pick another",
        {"slot": [f"{day} {slot_label} is full"]},
        slot=slot_label,
    )


def _refuse_double_booking(
    session: DbSession, applicant: Applicant, window: tuple[datetime, datetime], label: str
) -> None:
    """One visit per applicant at a time: a booked window overlapping this one is a 409.

    Checked under the township's lock, so parallel requests of one villager see each other.
    """
    clash = session.scalar(
        select(Appointment).where(
            Appointment.applicant_id == applicant.id,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.window_start < window[1],
            Appointment.window_end > window[0],
        )
    )
    if clash is not None:
        raise Conflict(
            f"该村民已预约此时段（预约 {clash.id}）/ This villager already has booking "
            f"{clash.id} at that time",
            {"slot": [f"overlaps booking {clash.id}"]},
            slot=label,
            appointment_id=clash.id,
        )


def _confirm(
    session: DbSession,
    apt: Appointment,
    applicant: Applicant,
    day: date,
    slot_label: str,
    case: Case | None,
) -> None:
    variables = {
        "name": applicant.name,
        "date": day.isoformat(),
        "time_window": slot_label,
        "service": case.item.name if case else "上门服务 / home visit",
        "reference": case.reference if case else f"YY{apt.id:06d}",
    }
    now = datetime.now(UTC)
    reminder_at = datetime.combine(day - timedelta(days=1), time(18, 0), tzinfo=CST)
    sends = [("booking_confirmed", now)]
    if reminder_at > now:
        sends.append(("booking_reminder", reminder_at))
    for kind, not_before in sends:
        enqueue(
            session,
            kind,
            "sms",
            "villager",
            applicant.id,
            phone=applicant.phone,
            variables=variables,
            data={"appointment_id": apt.id},
            township_code=township_code(applicant.village.code),
            not_before=not_before,
        )


def cancel(session: DbSession, apt: Appointment, reason: str = "") -> Appointment:
    """Cancel a booking: the slot is free again (the caller commits and re-plans)."""
    if apt.status != AppointmentStatus.BOOKED:
        raise Conflict(f"预约已是 {apt.status} / The booking is already {apt.status}")
    apt.status = AppointmentStatus.CANCELLED
    apt.note = reason
    session.flush()
    return apt
