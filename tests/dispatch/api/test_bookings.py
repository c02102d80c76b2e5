"""Bookings refuse what they must: a second visit at once, a slot too late, a stranger."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from dispatch.errors import Invalid
from dispatch.extensions import db
from dispatch.models.agents import Appointment, AppointmentStatus
from dispatch.services import bookings
from dispatch.workdays import CST, next_working_day

from .conftest import World

# A working day two weeks ahead: inside the 30-day horizon, planned by no other test.
DAY = next_working_day(datetime.now(CST).date() + timedelta(days=13))


def _book(client, headers, applicant: int, slot: str, day: date = DAY):
    body = {"applicant_id": applicant, "date": day.isoformat(), "slot": slot}
    return client.post("/api/bookings/", json=body, headers=headers)


def _booked(app, applicant: int) -> list[Appointment]:
    with app.app_context():
        rows = db.session.scalars(
            select(Appointment).where(
                Appointment.applicant_id == applicant,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.window_start >= datetime.combine(DAY, datetime.min.time(), CST),
            )
        ).all()
        db.session.expunge_all()
        return list(rows)


def test_the_same_villager_cannot_book_one_slot_twice(app, client, auth, world: World):
    """The second booking of the same slot by the same villager is a 409 naming the slot."""
    applicant = world.applicant(world.home.village)
    first = _book(client, auth("staff"), applicant, "10:30-12:00")
    assert first.status_code == 201, first.get_json()
    again = _book(client, auth("staff"), applicant, "10:30-12:00")
    assert again.status_code == 409, again.get_json()
    assert "slot" in again.get_json()["errors"]
    assert [a.id for a in _booked(app, applicant)] == [first.get_json()["id"]]


def test_an_overlapping_slot_of_the_same_villager_is_refused(app, client, auth, world: World):
    """14:30-16:30 and 16:00-18:00 overlap: one villager cannot hold both."""
    applicant = world.applicant(world.home.village)
    assert _book(client, auth("staff"), applicant, "14:30-16:30").status_code == 201
    resp = _book(client, auth("staff"), applicant, "16:00-18:00")
    assert resp.status_code == 409 and "slot" in resp.get_json()["errors"]


@pytest.mark.parametrize(
    ("clock", "slot"),
    [("10:00", "08:30-10:30"), ("09:45", "10:30-12:00"), ("18:30", "16:00-18:00")],
    ids=["started", "within the hour", "over"],
)
def test_a_slot_too_late_is_422_naming_the_slot(app, world: World, clock, slot):
    """A slot already begun, or starting within the hour, is refused before any lock."""
    applicant = world.applicant(world.home.village)
    now = datetime.combine(DAY, datetime.strptime(clock, "%H:%M").time(), CST).astimezone(UTC)
    with app.app_context():
        with pytest.raises(Invalid) as err:
            bookings.book(db.session, world.scope, applicant, DAY, slot, now=now)
        assert "slot" in (err.value.errors or {})
        db.session.rollback()
    assert _booked(app, applicant) == []


def test_the_slot_list_and_the_booking_share_the_lead_time(app, world: World):
    """At 09:45 the list marks 10:30-12:00 unavailable, as the booking refuses it."""
    from dispatch.planning.booking import LEAD, _slot_bounds, _starts_in_time

    now = datetime.combine(DAY, datetime.strptime("09:45", "%H:%M").time(), CST)
    assert not _starts_in_time(_slot_bounds(DAY, ("10:30", "12:00")), now)
    assert _starts_in_time(_slot_bounds(DAY, ("14:30", "16:30")), now)
    assert timedelta(hours=1) == LEAD


@pytest.mark.parametrize(
    "call",
    [
        lambda c, h, w: c.get(
            f"/api/bookings/slots?applicant_id={w.away.applicant}&date={DAY}", headers=h
        ),
        lambda c, h, w: _book(c, h, w.away.applicant, "08:30-10:30"),
        lambda c, h, w: c.post(
            f"/api/bookings/{w.away.appointment}/cancel", json={"reason": "x"}, headers=h
        ),
    ],
    ids=["slots", "book", "cancel"],
)
def test_an_agent_books_only_in_their_scope(client, auth, world: World, call):
    """Another county's villager is a 404 for an agent, as GET /api/applicants/<id> is."""
    assert (
        client.get(f"/api/applicants/{world.away.applicant}", headers=auth("agent")).status_code
        == 404
    )
    resp = call(client, auth("agent"), world)
    assert resp.status_code == 404, resp.get_json()


def test_an_agent_learns_nothing_of_a_strangers_eligibility(app, client, auth, world: World):
    """A non-vulnerable villager elsewhere is a 404, the same answer as a vulnerable one."""
    from dispatch.models.applicants import Applicant

    stranger = world.applicant(world.away.village)
    with app.app_context():
        db.session.get(Applicant, stranger).vulnerable = False
        db.session.commit()
    url = f"/api/bookings/slots?applicant_id={stranger}&date={DAY}"
    resp = client.get(url, headers=auth("agent"))
    assert resp.status_code == 404 and "elderly" not in resp.get_json()["message"]


def test_direct_appointment_writes_are_gone(client, auth, world: World):
    """POST /api/appointments/ is a 410 that points to POST /api/bookings/."""
    resp = client.post("/api/appointments/", json={}, headers=auth("staff"))
    assert resp.status_code == 410
    assert "/api/bookings/" in resp.get_json()["message"]


def test_cancelling_goes_through_bookings(client, auth, world: World):
    """PATCH status=cancelled is refused with a 422 naming the cancel address."""
    apt = world.appointment(world.home)
    resp = client.get(f"/api/appointments/{apt}", headers=auth("staff"))
    resp = client.patch(
        f"/api/appointments/{apt}",
        json={"status": "cancelled"},
        headers=auth("staff") | {"If-Match": resp.headers["ETag"]},
    )
    assert resp.status_code == 422
    assert f"/api/bookings/{apt}/cancel" in resp.get_json()["errors"]["status"][0]


def test_parallel_bookings_of_one_villager_have_one_winner(app, auth, world: World):
    """20 requests at once for one slot of one villager: exactly one is booked."""
    applicant = world.applicant(world.home.village)
    headers = auth("staff")
    barrier = threading.Barrier(20)
    codes: list[int] = []

    def attempt() -> None:
        with app.test_client() as c:
            barrier.wait()
            codes.append(_book(c, headers, applicant, "08:30-10:30").status_code)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert sorted(codes) == [201] + [409] * 19, codes
    assert len(_booked(app, applicant)) == 1
