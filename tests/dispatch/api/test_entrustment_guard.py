"""The custody guard is per agent: only the agent an entrustment names takes the documents from
the villager, the village room or another agent; one written to the township's agents lets any
of them; from the township centre on (the offices' relay) it must be in force, naming no one.
The planner sends the named agent to collect."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from dispatch.extensions import db
from dispatch.models.agents import Appointment
from dispatch.models.cases import Case
from dispatch.models.users import Role, Scope
from dispatch.planning.build import PIN_SKILL_BASE, Overrides, build_problem
from dispatch.planning.tasks import derive_tasks, load_context
from dispatch.services import entrustments
from dispatch.setup.demo import DEMO_TOWNSHIP
from dispatch.workdays import CST, next_working_day

from .conftest import SIGNATURE, World
from .test_forms import pdf_text, pytestmark  # noqa: F401  (poppler needed here too)

COUNTY_ITEM = "DEMO-GA-001"  # decided at the county: the car takes it up from the township
SIGNED = {"materials": ["居民身份证"], "valid_until": "2099-12-31", "captured_at": "village_room"}


def _post(client, auth, path: str, body: dict[str, Any], expect: int, role: str = "dispatcher"):
    resp = client.post(path, json=body, headers=auth(role) | {"If-Match": "*"})
    assert resp.status_code == expect, resp.get_data(as_text=True)[:500]
    return resp.get_json()


def _entrusted_case(client, auth, world: World, covers: str | None) -> int:
    """A checked agent case of the home village, entrusted (at the room) to the home agent."""
    cid = world.case(world.home, COUNTY_ITEM, entrusted=False)
    body = SIGNED | {"agent_id": world.home.agent, "signature_png": SIGNATURE}
    body |= {"covers": covers} if covers else {}
    signed = _post(client, auth, f"/api/cases/{cid}/entrustment", body, 201, "staff")
    assert signed["covers"] == (covers or "agent")
    _post(client, auth, f"/api/cases/{cid}/transitions", {"to": "materials_checked"}, 200)
    return cid


def _hand(client, auth, cid: int, kind: str, ref: int, expect: int) -> Any:
    return _post(client, auth, f"/api/cases/{cid}/custody", {"to_kind": kind, "to_id": ref}, expect)


def test_only_the_named_agent_takes_the_documents(client, auth, world: World):
    """Named agent: another agent gets a 422 naming the entrusted one and the fix, from the
    villager and from the named agent alike; the car's run up from the township is the
    offices' relay and needs no name."""
    cid = _entrusted_case(client, auth, world, None)
    refused = _hand(client, auth, cid, "agent", world.home.other_agent, 422)
    assert "委托书只委托了代办员" in refused["message"]
    assert f"/api/cases/{cid}/entrustment/revocation" in refused["message"]
    assert refused["errors"]["entrustment"] == [
        f"names agent {world.home.agent}, not agent {world.home.other_agent}"
    ]
    _hand(client, auth, cid, "agent", world.home.agent, 201)
    _hand(client, auth, cid, "agent", world.home.other_agent, 422)  # agent to agent: no
    _hand(client, auth, cid, "centre", world.home.centre, 201)
    driver = _hand(client, auth, cid, "agent", world.home.other_agent, 201)
    assert driver["to_id"] == world.home.other_agent


def test_the_townships_agents_cover_any_of_them(client, auth, world: World, tmp_path: Path):
    """Written to the township's agents: another agent of the township takes it, and the
    委托书 says whom it entrusts."""
    cid = _entrusted_case(client, auth, world, "township")
    _hand(client, auth, cid, "agent", world.home.other_agent, 201)
    resp = client.get(f"/api/cases/{cid}/forms/entrustment.pdf", headers=auth("dispatcher"))
    assert resp.status_code == 200
    text = pdf_text(resp.data, tmp_path, "township-entrustment")
    assert "代办员（经办" in text and "the township's agents" in text


def test_an_unknown_cover_is_refused(client, auth, world: World):
    """covers is agent or township; anything else is a 422 on the field."""
    cid = world.case(world.home, COUNTY_ITEM, entrusted=False)
    body = SIGNED | {"agent_id": world.home.agent, "signature_png": SIGNATURE, "covers": "anyone"}
    bad = _post(client, auth, f"/api/cases/{cid}/entrustment", body, 422, "staff")
    assert "covers" in bad["errors"]["json"]


@pytest.mark.parametrize("covers", ["agent", "township"])
def test_the_planner_sends_the_named_agent(client, auth, world: World, covers: str):
    """A collection entrusted to one agent is its own task, pinned to that agent's vehicle
    (and waits, saying why, when they are off); the township's agents share the village's."""
    cid = _entrusted_case(client, auth, world, covers)
    day = next_working_day(datetime.now(CST).date())
    with world.app.app_context():
        ctx = load_context(db.session, DEMO_TOWNSHIP, day)
        tasks = [t for t in derive_tasks(db.session, ctx) if cid in t.case_ids]
        assert len(tasks) == 1 and tasks[0].action == "collect"
        (task,) = tasks
        vehicle = world.home.vehicle
        if covers == "township":
            assert task.entrusted_to is None and task.key == f"collect:{world.home.village}"
        else:
            assert task.entrusted_to == world.home.agent
            assert task.key == f"collect:{world.home.village}:agent:{world.home.agent}"
            built = build_problem(ctx, [task], Overrides())
            (shipment,) = built.problem.shipments
            assert PIN_SKILL_BASE + vehicle in shipment.skills
            ctx.agents = [a for a in ctx.agents if a.id != world.home.agent]
            build_problem(ctx, [task], Overrides())
            assert "只委托了代办员" in ctx.waiting[cid]
        db.session.remove()


def test_on_the_phone_the_entrusted_agent_is_you(client, auth, world: World):
    """Without agent_id the phone's agent is entrusted, signed when the phone says; at the
    desk agent_id is needed (422 on the field, never a 500)."""
    cid = world.case(world.home, COUNTY_ITEM, entrusted=False)
    body = SIGNED | {"captured_at": "phone", "signature_png": SIGNATURE}
    desk = _post(client, auth, f"/api/cases/{cid}/entrustment", body, 422, "staff")
    assert desk["errors"] == {"agent_id": ["required"]}
    when = datetime.now(CST).replace(microsecond=0) - timedelta(hours=3)
    phone = Scope(world.admin_id, "agent", Role.AGENT, DEMO_TOWNSHIP[:9], world.home.agent)
    with world.app.app_context():
        case = db.session.get(Case, cid)
        found = entrustments.capture(
            db.session, phone, case, materials=["居民身份证"], valid_until=date(2099, 12, 31),
            captured_at="phone", signature_png=SIGNATURE, signed_at=when,
        )  # fmt: skip
        assert (found.agent_id, found.captured_at) == (world.home.agent, "phone")
        assert found.signed_at == when
        db.session.remove()


def test_a_home_visit_goes_to_the_named_agent(client, auth, world: World):
    """A booked visit that collects a case entrusted to one agent is pinned to that agent."""
    cid = _entrusted_case(client, auth, world, None)
    day = next_working_day(datetime.now(CST).date())
    start = datetime.combine(day, time(10, 0), tzinfo=CST)
    with world.app.app_context():
        # Set-up row, as the world's own appointments are: the booking path plans it at once.
        visit = Appointment(applicant_id=world.home.applicant, case_id=cid, window_start=start,
                            window_end=start + timedelta(hours=2))  # fmt: skip
        db.session.add(visit)
        db.session.commit()
        ctx = load_context(db.session, DEMO_TOWNSHIP, day)
        (task,) = [t for t in derive_tasks(db.session, ctx) if cid in t.case_ids]
        assert (task.key, task.entrusted_to) == (f"visit:{visit.id}", world.home.agent)
        db.session.delete(visit)
        db.session.commit()
        db.session.remove()
