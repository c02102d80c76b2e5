"""A small world of known objects in two regions, and factories for fresh ones."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, func, select, update

from dispatch.extensions import db
from dispatch.models.agents import Agent, AgentLevel, Appointment, Vehicle
from dispatch.models.cases import OPEN, Case, CustodyEvent, Status
from dispatch.models.centres import ServiceCentre
from dispatch.models.regions import Region
from dispatch.models.users import Role, Scope, User
from dispatch.services import applicants, auth, cases, centres, entrustments
from dispatch.services.validation import id_check_char
from dispatch.setup.demo import DEMO_SIGNATURE, DEMO_TOWNSHIP

from ..conftest import OTHER_COUNTY_TOWNSHIP

_serial = itertools.count(1)
# A 1x1 PNG, as the signature canvas would send it.
SIGNATURE = DEMO_SIGNATURE


def fresh_id_number() -> str:
    """A valid resident ID no seeded applicant has (445299 is no real county)."""
    n = next(_serial)
    first17 = f"445299{date(1940, 1, 1) + timedelta(days=n):%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def applicant_body(village: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "测试村民",
        "phone": "13800138000",
        "id_number": fresh_id_number(),
        "village": village,
        "lon": 116.3,
        "lat": 23.5,
        "vulnerable": True,
        **extra,
    }


def register_case_to_collect(
    client: Any, headers: dict[str, str], village: str, agent_id: int
) -> int:
    """A new agent case at ``village``'s room, entrusted to ``agent_id`` and checked through the
    API: its documents wait for the next collection. Returns the case id."""
    applicant = client.post(
        "/api/applicants/", json=applicant_body(village, vulnerable=False), headers=headers
    )
    assert applicant.status_code == 201, applicant.get_json()
    case = client.post(
        "/api/cases/",
        headers=headers,
        json={
            "applicant_id": applicant.get_json()["id"],
            "item_code": "DEMO-GA-001",
            "channel": "agent",
        },
    )
    assert case.status_code == 201, case.get_json()
    cid = case.get_json()["id"]
    entrusted = client.post(
        f"/api/cases/{cid}/entrustment",
        headers=headers,
        json={
            "agent_id": agent_id,
            "materials": ["居民身份证", "户口簿"],
            "valid_until": "2099-12-31",
            "captured_at": "village_room",
            "signature_png": DEMO_SIGNATURE,
        },
    )
    assert entrusted.status_code == 201, entrusted.get_json()
    etag = client.get(f"/api/cases/{cid}", headers=headers).headers["ETag"]
    checked = client.post(
        f"/api/cases/{cid}/transitions",
        headers=headers | {"If-Match": etag},
        json={"to": "materials_checked"},
    )
    assert checked.status_code == 200, checked.get_json()
    return cid


def future_window(hours: int = 9) -> tuple[str, str]:
    """A two-hour window weeks ahead, clear of the day the planning tests plan."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=40, hours=hours)
    return start.isoformat(), (start + timedelta(hours=2)).isoformat()


@dataclass
class Place:
    """Known objects in one township: what a role there should and should not see."""

    village: str = ""
    applicant: int = 0
    case: int = 0
    centre: int = 0
    agent: int = 0
    other_agent: int = 0
    vehicle: int = 0
    appointment: int = 0


@dataclass
class World:
    app: Flask
    home: Place = field(default_factory=Place)
    away: Place = field(default_factory=Place)
    admin_id: int = 0

    @property
    def scope(self) -> Scope:
        return Scope(self.admin_id, "admin", Role.ADMIN, "")

    def applicant(self, village: str) -> int:
        with self.app.app_context():
            body = applicant_body(village)
            body.pop("village")
            a = applicants.create_applicant(db.session, self.scope, village, **body)
            return a.id

    def case(self, place: Place, item: str = "DEMO-GA-001", entrusted: bool = True) -> int:
        """An agent case of the place's applicant; ``entrusted``: with its entrustment to the
        place's agent signed, so agents may take its documents."""
        with self.app.app_context():
            c = cases.register_case(db.session, self.scope, place.applicant, item, "agent")
            if entrusted:
                entrustments.capture(
                    db.session,
                    self.scope,
                    c,
                    agent_id=place.agent,
                    materials=[m["name"] for m in c.item.materials],
                    valid_until=c.due_date + timedelta(days=60),
                    captured_at="village_room",
                    signature_png=SIGNATURE,
                )
            return c.id

    def appointment(self, place: Place) -> int:
        start, end = future_window()
        with self.app.app_context():
            # Set-up data, written as a row: the one booking path (POST /api/bookings/) books
            # only within 30 days and what the plan can absorb.
            a = Appointment(
                applicant_id=place.applicant,
                window_start=datetime.fromisoformat(start),
                window_end=datetime.fromisoformat(end),
            )
            db.session.add(a)
            db.session.commit()
            return a.id

    def closed_day(self, day: date) -> str:
        with self.app.app_context():
            centre = centres.get_centre(db.session, self.scope, self.home.centre)
            centres.add_closed_day(db.session, self.scope, centre, day)
        return day.isoformat()

    def user(self) -> int:
        with self.app.app_context():
            return auth.create_user(db.session, f"temp{next(_serial)}", "temp-pass-123", "admin").id


def _place(world: World, township: str) -> Place:
    s = db.session
    town = s.scalar(select(Region).where(Region.code == township))
    assert town is not None
    agents_here = list(
        s.scalars(select(Agent).where(Agent.region_id == town.id).order_by(Agent.id))
    )
    agent = next(a for a in agents_here if a.level == AgentLevel.VILLAGE)
    driver = next(a for a in agents_here if a.level == AgentLevel.TOWNSHIP)
    village = agent.zone[0].code
    centre = s.scalar(select(ServiceCentre).where(ServiceCentre.region_id == town.id))
    assert centre is not None and agent.vehicle_id is not None
    place = Place(
        village=village,
        centre=centre.id,
        agent=agent.id,
        other_agent=driver.id,
        vehicle=agent.vehicle_id,
    )
    place.applicant = world.applicant(village)
    place.case = world.case(place)
    place.appointment = world.appointment(place)
    return place


@pytest.fixture(scope="session")
def world(app: Flask) -> World:
    w = World(app)
    with app.app_context():
        w.admin_id = db.session.scalar(select(User.id).where(User.username == "admin"))
        staff_village = db.session.scalar(
            select(Region.code)
            .join(User, User.region_id == Region.id)
            .where(User.username == "staff")
        )
        w.home = _place(w, DEMO_TOWNSHIP)
        assert w.home.village == staff_village, "the demo agent's zone starts at staff's village"
        w.away = _place(w, OTHER_COUNTY_TOWNSHIP)
        db.session.remove()
    return w


@pytest.fixture(scope="module", autouse=True)
def _leave_the_township_as_found(app: Flask, world: World):
    """Cancel the cases and remove the centres a module adds, so the planning tests that
    share this database plan the seeded township, not the API tests' leftovers."""
    with app.app_context():
        last_case = db.session.scalar(select(func.max(Case.id))) or 0
        last_centre = db.session.scalar(select(func.max(ServiceCentre.id))) or 0
        db.session.remove()
    yield
    with app.app_context():
        db.session.execute(
            update(Case)
            .where(Case.id > last_case, Case.status.in_(OPEN))
            .values(status=Status.CANCELLED)
        )
        db.session.execute(
            update(Vehicle)
            .where(Vehicle.home_centre_id > last_centre)
            .values(home_centre_id=world.home.centre)
        )
        held = select(CustodyEvent.centre_id).where(CustodyEvent.centre_id.is_not(None))
        db.session.execute(
            delete(ServiceCentre).where(
                ServiceCentre.id > last_centre, ServiceCentre.id.not_in(held)
            )
        )
        db.session.commit()
        db.session.remove()
