"""A booking made while a re-plan job is running (PostgreSQL, a sequence test).

The re-plan job holds the township's lock from before it reads the day until it commits
(``services.plans.replan_published``); a booking takes the same lock before it checks the
slot. So the booking waits for the job, is checked against the plan the job published, and its
own re-plan job publishes the next version with it: no visit is dropped or doubled, and a
visit that ends in no published plan has its villager told.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.applicants import Applicant
from dispatch.models.outbox import OutboxMessage
from dispatch.models.regions import Region
from dispatch.planning import service as planning
from dispatch.services import job_runs
from dispatch.workdays import next_working_day
from tests.dispatch.planning.conftest import publish_day, waits_for

TOWNSHIP = "445203103000"


def _villagers(app, n: int) -> list[int]:
    with app.app_context():
        ids = list(
            db.session.scalars(
                select(Applicant.id)
                .join(Region, Region.id == Applicant.village_id)
                .where(Region.code.like("445203103%"), Applicant.vulnerable.is_(True))
                .order_by(Applicant.id)
                .limit(n)
            )
        )
        db.session.remove()
    assert len(ids) == n
    return ids


def _free_slot(client, h, villager: int, day) -> str:
    slots = client.get(f"/api/bookings/slots?applicant_id={villager}&date={day}", headers=h)
    assert slots.status_code == 200, slots.get_json()
    return next(s["label"] for s in slots.get_json() if s["available"])


def _book(client, h, villager: int, day, slot: str):
    return client.post(
        "/api/bookings/",
        json={"applicant_id": villager, "date": day.isoformat(), "slot": slot},
        headers=h,
    )


def _ended(client, h, job_id: str, timeout: float = 90.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/jobs/{job_id}", headers=h).get_json()
        if job["status"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']}"
        time.sleep(0.1)


def _visits(plan: dict[str, Any]) -> Counter[str]:
    return Counter(
        s["task_key"] for r in plan["routes"] for s in r["stops"] if s["kind"] == "visit"
    )


def _published_id(app, day) -> int | None:
    with app.app_context():
        township = db.session.scalar(select(Region).where(Region.code == TOWNSHIP))
        plan = planning.current_plan(db.session, township.id, day)
        db.session.remove()
    return plan.id if plan else None


def _told(app, appointment_id: int) -> int:
    with app.app_context():
        told = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == planning.UNPLANNED)
        ).all()
        n = sum(1 for m in told if m.data.get("appointment_id") == appointment_id)
        db.session.remove()
    return n


def _hold_first(monkeypatch, module, name: str) -> tuple[threading.Event, threading.Event]:
    """The first call of ``module.name`` returns only when released; later calls run on."""
    reached, release = threading.Event(), threading.Event()
    real = getattr(module, name)
    calls: list[None] = []

    def held(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        calls.append(None)
        if len(calls) == 1:
            reached.set()
            assert release.wait(60), f"the test never released {name}"
        return out

    monkeypatch.setattr(module, name, held)
    return reached, release


@pytest.mark.parametrize(
    ("held_in", "b_waits"),
    [((planning, "plan_township"), True), ((job_runs, "mark_running"), False)],
    ids=["solved, not committed", "started, lock not yet taken"],
)
def test_a_booking_during_a_replan_ends_in_a_published_plan(
    app, client, auth, work_day, backend, monkeypatch, held_in, b_waits
):
    """Booking A's re-plan job is held mid-way; booking B comes in. Held after its solve, the
    job holds the township's lock, so B waits and lands in the next version; held before the
    lock, B lands at once and both jobs publish. Either way the last published plan holds
    each visit once (or its villager was told), and every job ends done."""
    if backend != "postgres":
        pytest.skip("SQLite has one writer at a time; the row locks are PostgreSQL's")
    h = auth("dispatcher")
    # A day of its own per case, which no other test plans.
    day = next_working_day(work_day + timedelta(days=13 if b_waits else 15))
    publish_day(client, auth, app, day)
    # Jobs on the runner's threads, as in production without Celery, so one can be held.
    monkeypatch.setitem(app.config, "JOBS_EAGER", False)
    reached, release = _hold_first(monkeypatch, *held_in)
    first, second = _villagers(app, 2)
    slot_a, slot_b = _free_slot(client, h, first, day), _free_slot(client, h, second, day)

    a = _book(client, h, first, day, slot_a)
    assert a.status_code == 201, a.get_json()
    assert reached.wait(60), "booking A's re-plan job never got under way"

    def book_b() -> Any:
        with app.test_client() as c:
            return _book(c, h, second, day, slot_b)

    waited, b = waits_for(release, book_b)
    assert waited == b_waits, "booking B waited" if waited else "booking B did not wait"
    assert b.status_code == 201, b.get_json()

    jobs = [_ended(client, h, r.get_json()["replan_job"]["id"]) for r in (a, b)]
    assert [j["status"] for j in jobs] == ["done", "done"], jobs
    plans = [
        client.get(f"/api/plans/{j['result']['plan_ids'][0]}", headers=h).get_json() for j in jobs
    ]
    last = max(plans, key=lambda p: p["version"])
    assert _published_id(app, day) == last["id"]
    key_a, key_b = f"visit:{a.get_json()['id']}", f"visit:{b.get_json()['id']}"
    if b_waits:  # A's job published before B was checked: B is in the next version only
        assert plans[1]["version"] > plans[0]["version"]
        assert _visits(plans[0])[key_a] == 1 and key_b not in _visits(plans[0])
    for booked, key in ((a, key_a), (b, key_b)):
        kept, told = _visits(last)[key], _told(app, booked.get_json()["id"])
        assert (kept, told) in ((1, 0), (0, 1)), (key, kept, told)
