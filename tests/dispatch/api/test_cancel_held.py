"""A bare cancel cannot strand a villager's documents: a case held by an agent or a centre is
cancelled only through the withdrawal branch, whose return leg brings the file home."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dispatch.extensions import db
from dispatch.planning.tasks import derive_tasks, load_context
from dispatch.setup.demo import DEMO_TOWNSHIP
from dispatch.workdays import CST, next_working_day

from .conftest import World


def _post(client, auth, path: str, body: dict[str, Any], expect: int) -> Any:
    resp = client.post(path, json=body, headers=auth("dispatcher") | {"If-Match": "*"})
    assert resp.status_code == expect, resp.get_data(as_text=True)[:500]
    return resp.get_json()


def _case(client, auth, cid: int) -> Any:
    return client.get(f"/api/cases/{cid}", headers=auth("dispatcher")).get_json()


def _legs(world: World, cid: int) -> list[str]:
    """The keys of the next plan's tasks that move this case."""
    day = next_working_day(datetime.now(CST).date())
    with world.app.app_context():
        ctx = load_context(db.session, DEMO_TOWNSHIP, day)
        keys = [t.key for t in derive_tasks(db.session, ctx) if cid in t.case_ids]
        db.session.remove()
    return keys


def test_a_held_case_is_withdrawn_not_cancelled(client, auth, world: World):
    """Checked, with the agent, at the township: each bare cancel is a 409 pointing to the
    withdrawal and changes nothing; the withdrawal sends the file down with a leg in the next
    plan, and the hand-back to the villager cancels it."""
    cid = world.case(world.home)
    cancel = {"to": "cancelled", "note": "村民不办了"}
    _post(client, auth, f"/api/cases/{cid}/transitions", {"to": "materials_checked"}, 200)
    _post(client, auth, f"/api/cases/{cid}/custody",
          {"to_kind": "agent", "to_id": world.home.agent}, 201)  # fmt: skip
    _post(client, auth, f"/api/cases/{cid}/custody",
          {"to_kind": "centre", "to_id": world.home.centre}, 201)  # fmt: skip
    before = _case(client, auth, cid)
    refused = _post(client, auth, f"/api/cases/{cid}/transitions", cancel, 409)
    assert f"/api/cases/{cid}/withdrawal" in refused["message"]
    assert "cancelled" not in refused["allowed"]
    after = _case(client, auth, cid)
    assert (after["status"], after["holder_kind"], len(after["history"])) == (
        "at_township", "centre", len(before["history"]),
    )  # fmt: skip
    down = _post(client, auth, f"/api/cases/{cid}/withdrawal", {"reason": "村民不办了"}, 200)
    assert (down["status"], down["holder_kind"]) == ("withdrawn", "centre")
    assert any(key.startswith(("return:", "return_home:")) for key in _legs(world, cid))
    _post(client, auth, f"/api/cases/{cid}/custody",
          {"to_kind": "applicant", "to_id": down["applicant_id"]}, 201)  # fmt: skip
    done = _case(client, auth, cid)
    assert (done["status"], done["holder_kind"]) == ("cancelled", "applicant")


def test_a_case_with_the_agent_cannot_be_cancelled_bare(client, auth, world: World):
    """with_agent: no bare cancel (409); withdrawn, the agent carries it home (a leg pinned to
    them in the next plan)."""
    cid = world.case(world.home)
    _post(client, auth, f"/api/cases/{cid}/transitions", {"to": "materials_checked"}, 200)
    _post(client, auth, f"/api/cases/{cid}/custody",
          {"to_kind": "agent", "to_id": world.home.agent}, 201)  # fmt: skip
    _post(client, auth, f"/api/cases/{cid}/transitions", {"to": "cancelled"}, 409)
    assert _case(client, auth, cid)["status"] == "with_agent"
    _post(client, auth, f"/api/cases/{cid}/withdrawal", {"reason": "村民外出"}, 200)
    assert _legs(world, cid) == [f"carry_down:{cid}"]


def test_the_villager_holding_the_file_may_still_cancel(client, auth, world: World):
    """Registered, documents at home: the plain cancel still works, no legs left."""
    cid = world.case(world.home)
    body = _post(client, auth, f"/api/cases/{cid}/transitions", {"to": "cancelled"}, 200)
    assert (body["status"], body["holder_kind"]) == ("cancelled", "applicant")
    assert _legs(world, cid) == []
