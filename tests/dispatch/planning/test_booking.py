"""Home-visit slots come from inserting the visit into the plan; booking is race-free."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from dispatch.extensions import db
from dispatch.models.agents import Agent, AgentLevel, Appointment
from dispatch.models.applicants import Applicant
from dispatch.models.plans import Override
from dispatch.models.regions import Region
from dispatch.workdays import CST, next_working_day

TIGHT_TOWNSHIP = "445203102000"  # 云路镇: the tests leave it one agent with a short morning


@pytest.fixture(scope="module")
def tight(app):
    """One car agent on 08:00-09:05 and villagers next to the centre: one 20-minute visit fits
    (08:30-08:50), two never do, whatever the seeded distances."""
    with app.app_context():
        township = db.session.scalar(select(Region).where(Region.code == TIGHT_TOWNSHIP))
        agents = list(db.session.scalars(select(Agent).where(Agent.region_id == township.id)))
        keep = next(a for a in agents if a.level == AgentLevel.TOWNSHIP)
        for agent in agents:
            agent.active = agent.id == keep.id
        keep.shift = {str(d): ["08:00", "09:05"] for d in range(1, 8)}
        centre = keep.vehicle.home_centre
        villager = db.session.scalar(
            select(Applicant)
            .join(Region, Region.id == Applicant.village_id)
            .where(Region.code.like("445203102%"))
            .order_by(Applicant.id)
        )
        villager.vulnerable = True
        others = list(
            db.session.scalars(
                select(Applicant)
                .join(Region, Region.id == Applicant.village_id)
                .where(Region.code.like("445203102%"), Applicant.id != villager.id)
                .order_by(Applicant.id)
                .limit(12)
            )
        )
        for person in [villager, *others]:
            person.vulnerable = True
            person.lon, person.lat = centre.lon + 0.002, centre.lat
        db.session.commit()
        return villager.id, [o.id for o in others]


def test_slots_are_those_the_plan_can_absorb(client, auth, tight, work_day):
    """Only the slot inside the lone agent's short shift is offered."""
    villager, _ = tight
    resp = client.get(
        f"/api/bookings/slots?applicant_id={villager}&date={work_day}", headers=auth("admin")
    )
    assert resp.status_code == 200, resp.get_json()
    available = [s["label"] for s in resp.get_json() if s["available"]]
    assert available == ["08:30-10:30"]


def _as_cst(moment: datetime) -> datetime:
    """SQLite gives the stored UTC moment back without its zone."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(CST)


@pytest.mark.parametrize("slot", ["10:30-12:00", "14:30-16:30", "16:00-18:00"])
def test_a_slot_outside_every_shift_is_422_saying_why(app, client, auth, tight, work_day, slot):
    """A slot the list marks unavailable because no agent works then is not "full" (409):
    no booking frees it, so it is a 422 naming the slot, in Chinese and English."""
    villager, _ = tight
    resp = client.post(
        "/api/bookings/",
        headers=auth("admin"),
        json={"applicant_id": villager, "date": work_day.isoformat(), "slot": slot},
    )
    body = resp.get_json()
    assert resp.status_code == 422, body
    assert "slot" in body["errors"] and body["slot"] == slot
    assert "无法上门" in body["message"] and "No agent on shift" in body["message"]
    with app.app_context():
        starts = db.session.scalars(
            select(Appointment.window_start).where(Appointment.applicant_id == villager)
        )
        assert f"{work_day} {slot[:5]}" not in {
            _as_cst(t).strftime("%Y-%m-%d %H:%M") for t in starts
        }


@pytest.mark.parametrize(
    ("item_code", "offered"), [("DEMO-MZ-004", ["08:30-10:30"]), ("DEMO-CL-001", [])]
)
def test_slots_follow_the_service(client, auth, tight, work_day, item_code, offered):
    """Looked up for a service before its case exists, a slot is offered only if that service
    fits: the short shift holds a home visit, not an in-person applicant's ride there and home."""
    villager, _ = tight
    resp = client.get(
        f"/api/bookings/slots?applicant_id={villager}&date={work_day}&item_code={item_code}",
        headers=auth("admin"),
    )
    assert resp.status_code == 200, resp.get_json()
    assert [s["label"] for s in resp.get_json() if s["available"]] == offered


def test_booking_a_non_vulnerable_villager_is_refused(client, auth, work_day, app):
    """Home visits are for the elderly and disabled: others get a 422 saying so."""
    with app.app_context():
        plain = db.session.scalar(select(Applicant).where(Applicant.vulnerable.is_(False)))
        pid = plain.id
    resp = client.get(
        f"/api/bookings/slots?applicant_id={pid}&date={work_day}", headers=auth("admin")
    )
    assert resp.status_code == 422
    assert "applicant_id" in resp.get_json()["errors"]


def test_past_day_is_refused(client, auth, tight):
    """A booking in the past is a 422 naming the date."""
    villager, _ = tight
    resp = client.post(
        "/api/bookings/",
        headers=auth("admin"),
        json={"applicant_id": villager, "date": "2024-01-02", "slot": "08:30-10:30"},
    )
    assert resp.status_code == 422 and "date" in resp.get_json()["errors"]


def test_parallel_requests_for_the_last_slot_have_one_winner(app, auth, tight, work_day):
    """Many villagers race for the one visit that fits: exactly one booking is stored."""
    _, racers = tight
    barrier = threading.Barrier(len(racers))
    codes: list[int] = []
    headers = auth("admin")

    def attempt(applicant_id: int) -> None:
        with app.test_client() as c:
            barrier.wait()
            resp = c.post(
                "/api/bookings/",
                headers=headers,
                json={
                    "applicant_id": applicant_id,
                    "date": work_day.isoformat(),
                    "slot": "08:30-10:30",
                },
            )
            codes.append(resp.status_code)

    threads = [threading.Thread(target=attempt, args=(a,)) for a in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(codes) == [201] + [409] * (len(racers) - 1), codes
    with app.app_context():
        booked = db.session.scalars(
            select(Appointment).where(
                Appointment.applicant_id.in_(racers), Appointment.status == "booked"
            )
        ).all()
        assert len(booked) == 1


def test_cancelling_frees_the_slot(client, auth, tight, work_day, app):
    """After the winner cancels, the slot is offered again."""
    villager, racers = tight
    with app.app_context():
        apt = db.session.scalar(
            select(Appointment).where(
                Appointment.applicant_id.in_(racers), Appointment.status == "booked"
            )
        )
        apt_id = apt.id
    url = f"/api/bookings/slots?applicant_id={villager}&date={work_day}"
    assert not any(s["available"] for s in client.get(url, headers=auth("admin")).get_json())
    resp = client.post(
        f"/api/bookings/{apt_id}/cancel",
        headers=auth("admin"),
        json={"reason": "家属陪同 / family will go"},
    )
    assert resp.status_code == 200 and resp.get_json()["status"] == "cancelled"
    slots = client.get(url, headers=auth("admin")).get_json()
    assert [s["label"] for s in slots if s["available"]] == ["08:30-10:30"]


def test_a_day_nobody_works_offers_no_slot_and_books_none(app, client, auth, tight, work_day):
    """The lone agent absent: the slot list answers with every slot unavailable, and a booking
    is a 422 saying no agent is on shift (the day's plan cannot be built; it was a 500)."""
    villager, _ = tight
    day = next_working_day(work_day + timedelta(days=2))
    with app.app_context():
        township = db.session.scalar(select(Region).where(Region.code == TIGHT_TOWNSHIP))
        absent = [
            Override(township_id=township.id, day=day, kind="absent", agent_id=a.id)
            for a in db.session.scalars(select(Agent).where(Agent.region_id == township.id))
        ]
        db.session.add_all(absent)
        db.session.commit()
        ids = [o.id for o in absent]
    try:
        url = f"/api/bookings/slots?applicant_id={villager}&date={day}"
        slots = client.get(url, headers=auth("admin"))
        assert slots.status_code == 200, slots.get_json()
        assert slots.get_json() and not any(s["available"] for s in slots.get_json())
        resp = client.post(
            "/api/bookings/",
            headers=auth("admin"),
            json={"applicant_id": villager, "date": day.isoformat(), "slot": "08:30-10:30"},
        )
        assert resp.status_code == 422, resp.get_json()
        assert "slot" in resp.get_json()["errors"]
        assert "No agent with a vehicle is on shift" in resp.get_json()["message"]
    finally:
        with app.app_context():
            db.session.execute(delete(Override).where(Override.id.in_(ids)))
            db.session.commit()
