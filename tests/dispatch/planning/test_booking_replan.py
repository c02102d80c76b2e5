"""A booking commits once; the re-plan of the published day is a job the answer names."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from dispatch.errors import Conflict
from dispatch.extensions import db
from dispatch.models.applicants import Applicant
from dispatch.models.outbox import OutboxMessage
from dispatch.models.plans import Job
from dispatch.models.regions import Region
from dispatch.services import job_runs as work
from dispatch.workdays import next_working_day
from tests.dispatch.planning.conftest import publish_day


def _villager(app) -> int:
    with app.app_context():
        person = db.session.scalar(
            select(Applicant)
            .join(Region, Region.id == Applicant.village_id)
            .where(Region.code.like("445203103%"), Applicant.vulnerable.is_(True))
            .order_by(Applicant.id.desc())
        )
        assert person is not None
        db.session.remove()
        return person.id


def _visit_keys(plan: dict) -> set[str]:
    return {s["task_key"] for r in plan["routes"] for s in r["stops"] if s["kind"] == "visit"}


def test_booking_answers_with_its_replan_job(app, client, auth, planned, work_day):
    """The 201 names the job; the job publishes a plan that holds the visit; cancelling
    starts another that takes it out again."""
    h = auth("dispatcher")
    villager = _villager(app)
    free = client.get(
        f"/api/bookings/slots?applicant_id={villager}&date={work_day}", headers=h
    ).get_json()
    slot = next(s["label"] for s in free if s["available"])
    resp = client.post(
        "/api/bookings/",
        json={"applicant_id": villager, "date": work_day.isoformat(), "slot": slot},
        headers=h,
    )
    assert resp.status_code == 201, resp.get_json()
    booked = resp.get_json()
    job = booked["replan_job"]
    assert job["status"] == "done", job  # eager jobs in the tests
    polled = client.get(f"/api/jobs/{job['id']}", headers=h).get_json()
    assert polled["status"] == "done" and polled["result"]["replanned"], polled
    plan = client.get(f"/api/plans/{polled['result']['plan_ids'][0]}", headers=h).get_json()
    assert plan["status"] == "published"
    assert f"visit:{booked['id']}" in _visit_keys(plan)
    with app.app_context():
        assert db.session.get(Job, job["id"]).kind == "replan"
        db.session.remove()

    resp = client.post(f"/api/bookings/{booked['id']}/cancel", json={"reason": "x"}, headers=h)
    assert resp.status_code == 200 and resp.get_json()["replan_job"]["status"] == "done"
    again = client.get(f"/api/jobs/{resp.get_json()['replan_job']['id']}", headers=h).get_json()
    plan = client.get(f"/api/plans/{again['result']['plan_ids'][0]}", headers=h).get_json()
    assert f"visit:{booked['id']}" not in _visit_keys(plan)


def test_a_day_without_a_plan_needs_no_job(app, client, auth, work_day):
    """Booking a day no plan was published for starts no job."""
    h = auth("dispatcher")
    day = next_working_day(work_day + timedelta(days=5))  # a day nothing plans
    villager = _villager(app)
    resp = client.post(
        "/api/bookings/",
        json={"applicant_id": villager, "date": day.isoformat(), "slot": "14:30-16:30"},
        headers=h,
    )
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["replan_job"] is None


def test_a_failed_replan_tells_the_villager(app, client, auth, work_day, monkeypatch):
    """The booking stands (201) but its re-plan job fails: the job reads failed with the
    reason, and the villager, whose visit is in no published plan, gets one booking_unplanned
    SMS naming the appointment."""
    h = auth("dispatcher")
    day = next_working_day(work_day + timedelta(days=9))  # no other test's day
    publish_day(client, auth, app, day)

    def no_agent(*_args: object) -> None:
        raise Conflict("当天没有在岗代办员 / No agent on shift that day")

    monkeypatch.setattr(work, "replan_published", no_agent)
    villager = _villager(app)
    resp = client.post(
        "/api/bookings/",
        json={"applicant_id": villager, "date": day.isoformat(), "slot": "14:30-16:30"},
        headers=h,
    )
    assert resp.status_code == 201, resp.get_json()
    booked = resp.get_json()
    assert booked["replan_job"]["status"] == "failed", booked
    job = client.get(f"/api/jobs/{booked['replan_job']['id']}", headers=h).get_json()
    assert "No agent on shift" in job["error"], job
    with app.app_context():
        told = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "booking_unplanned", OutboxMessage.recipient_id == villager
            )
        ).all()
        # Earlier tests may have told this villager about other bookings: count this one's.
        mine = [m for m in told if m.data["appointment_id"] == booked["id"]]
        assert len(mine) == 1, [m.data for m in told]
        assert mine[0].channel == "sms" and mine[0].variables["time_window"] == "14:30-16:30"
        db.session.remove()
