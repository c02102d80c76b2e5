"""After a run: what the server acknowledged, checked against the database.

- every stop report answered 2xx is stored once, applied, and still in effect on the same
  task in the township's current published plan (or the task's stop has moved on further);
- every booking answered 201 is a visit in the current published plan, or its villager was
  sent a message saying why (cancelled or not planned);
- every outbox row ends sent or dead-lettered (rows scheduled for later are counted apart);
- every planning job ends done or failed, and no township has two published versions.

Anything else is counted as lost.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models.agents import Appointment, AppointmentStatus
from dispatch.models.outbox import OutboxMessage, OutboxStatus
from dispatch.models.plans import Job, Plan, PlanStatus, PlanStop, StopEvent
from dispatch.planning.service import current_plan, same_task_in

#: How far a stop's status has come; a later report may have moved it on.
PROGRESS = {"planned": 0, "arrived": 1, "done": 2, "failed": 2}
#: Messages that tell a villager why a booked visit will not happen as booked.
TOLD_WHY = {"booking_unplanned", "booking_cancelled"}


@dataclass
class Reconciliation:
    counts: Counter[str] = field(default_factory=Counter)
    lost: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    @property
    def lost_count(self) -> int:
        return sum(self.lost.values())

    def lose(self, category: str, detail: str, n: int = 1) -> None:
        self.lost[category] += n
        if len(self.examples) < 20:
            self.examples.append(detail)


def reconcile(
    app: Flask, ledger: dict[str, Any], day: date, drain_s: float = 60.0
) -> Reconciliation:
    out = Reconciliation()
    with app.app_context():
        _jobs(out, wait_s=drain_s)  # first: a booking's re-plan is a job
        _stop_reports(ledger, out)
        _bookings(ledger, day, out)
        _outbox(out, wait_s=drain_s)
        _published_versions(day, out)
        db.session.remove()
    return out


def _stop_reports(ledger: dict[str, Any], out: Reconciliation) -> None:
    session = db.session
    for report in ledger["reports"]:
        events = session.scalars(
            select(StopEvent).where(StopEvent.idempotency_key == report["key"])
        ).all()
        if not events:
            # A report of the status the stop already had is answered without a new event.
            stop = session.get(PlanStop, report["applied_to"])
            if stop is not None and PROGRESS[stop.status] >= PROGRESS[report["status"]]:
                out.counts["reports: acknowledged, already so"] += 1
                continue
            out.lose("report not stored", f"report {report['key']}: answered {report['code']}")
            continue
        event = events[0]
        if not event.applied:
            out.lose(
                "report stored unapplied", f"report {report['key']}: answered {report['code']}"
            )
            continue
        out.counts["reports: applied once"] += 1
        stop = session.get(PlanStop, event.stop_id)
        assert stop is not None
        plan = stop.route.plan
        current = current_plan(session, plan.township_id, plan.day)
        now = (
            stop
            if current is None or current.id == plan.id
            else same_task_in(session, current, stop)
        )
        if now is None:
            out.lose("reported task left the plan", f"report {report['key']} on stop {stop.id}")
        elif PROGRESS[now.status] < PROGRESS[report["status"]]:
            out.lose(
                "report undone by a re-plan",
                f"report {report['key']}: {report['status']} on stop {stop.id}, but the current "
                f"plan's stop {now.id} is {now.status}",
            )
        else:
            out.counts["reports: in effect in the current plan"] += 1
    twice = session.execute(
        select(StopEvent.stop_id, StopEvent.status, func.count())
        .where(StopEvent.applied)
        .group_by(StopEvent.stop_id, StopEvent.status)
        .having(func.count() > 1)
    ).all()
    for stop_id, status, n in twice:
        out.lose("report applied twice", f"stop {stop_id}: {status} applied {n} times")
    out.counts["reports: refused (4xx)"] = len(ledger["reports_refused"])
    out.counts["reports: still queued on a phone"] = ledger["reports_queued"]


def _bookings(ledger: dict[str, Any], day: date, out: Reconciliation) -> None:
    session = db.session
    for booking in ledger["bookings"]:
        apt = session.get(Appointment, booking["appointment_id"])
        if apt is None:
            out.lose("booking not stored", f"booking {booking['appointment_id']}")
            continue
        township_id = apt.applicant.village.parent_id
        assert township_id is not None
        plan = current_plan(session, township_id, day)
        keys = {s.task_key for r in plan.routes for s in r.stops} if plan else set()
        if apt.status == AppointmentStatus.BOOKED and f"visit:{apt.id}" in keys:
            out.counts["bookings: in the published plan"] += 1
            continue
        told = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.recipient_kind == "villager",
                OutboxMessage.recipient_id == apt.applicant_id,
                OutboxMessage.kind.in_(TOLD_WHY),
            )
        )
        if told:
            out.counts["bookings: villager told why not"] += 1
        else:
            out.lose("booking not planned, villager not told", f"booking {apt.id} ({apt.status})")


def _jobs(out: Reconciliation, wait_s: float) -> None:
    session = db.session
    deadline = time.monotonic() + wait_s
    while True:
        open_jobs = session.scalar(
            select(func.count()).select_from(Job).where(Job.status.in_(("queued", "running")))
        )
        if not open_jobs or time.monotonic() > deadline:
            break
        session.rollback()
        time.sleep(1)
    for status, n in session.execute(select(Job.status, func.count()).group_by(Job.status)):
        out.counts[f"jobs: {status}"] = n
        if status in ("queued", "running"):
            for (job_id,) in session.execute(select(Job.id).where(Job.status == status)):
                out.lose("job never ended", f"job {job_id}: still {status}")


def _outbox(out: Reconciliation, wait_s: float) -> None:
    """Wait for the sender to drain what is due, then count every row's fate."""
    session = db.session
    deadline = time.monotonic() + wait_s
    while True:
        now = datetime.now(UTC)
        due = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now
            )
        )
        if not due or time.monotonic() > deadline:
            break
        session.rollback()
        time.sleep(1)
    counts = dict(
        session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    out.counts["outbox: sent"] = counts.get(OutboxStatus.SENT, 0)
    out.counts["outbox: dead-lettered"] = counts.get(OutboxStatus.DEAD, 0)
    out.counts["outbox: scheduled for later"] = counts.get(OutboxStatus.PENDING, 0) - (due or 0)
    if due:
        out.lose("outbox row neither sent nor dead", f"{due} rows due and pending", due)


def _published_versions(day: date, out: Reconciliation) -> None:
    rows = db.session.execute(
        select(Plan.township_id, func.count())
        .where(Plan.day == day, Plan.status == PlanStatus.PUBLISHED)
        .group_by(Plan.township_id)
        .having(func.count() > 1)
    ).all()
    for township_id, n in rows:
        out.lose("two published versions", f"township {township_id}: {n} of {day}")
    out.counts["plans: published versions now"] = db.session.scalar(
        select(func.count()).select_from(Plan).where(Plan.status == PlanStatus.PUBLISHED)
    )
