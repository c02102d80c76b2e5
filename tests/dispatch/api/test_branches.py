"""The outside walk: one case down each branch through the API, every form opened, each SMS
queued once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.cases import Case
from dispatch.models.centres import CentreKind, ServiceCentre
from dispatch.models.outbox import OutboxMessage
from dispatch.models.regions import Region

from .conftest import SIGNATURE, World
from .test_forms import pdf_text, pytestmark  # noqa: F401  (poppler needed here too)

TOWNSHIP_ITEM = "DEMO-SB-001"  # decided at the township centre
VILLAGE_ITEM = "DEMO-CW-001"  # 居住证明, decided at the village room


def _post(client, auth, role: str, path: str, body: dict[str, Any], expect: int = 200) -> Any:
    resp = client.post(path, json=body, headers=auth(role) | {"If-Match": "*"})
    assert resp.status_code == expect, resp.get_data(as_text=True)[:500]
    return resp.get_json()


def _hand(client, auth, cid: int, kind: str, ref: int, expect: int = 201) -> Any:
    return _post(client, auth, "dispatcher", f"/api/cases/{cid}/custody",
                 {"to_kind": kind, "to_id": ref}, expect)  # fmt: skip


def _form(client, auth, cid: int, kind: str, tmp_path: Path) -> str:
    resp = client.get(f"/api/cases/{cid}/forms/{kind}.pdf", headers=auth("dispatcher"))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return pdf_text(resp.data, tmp_path, f"{cid}-{kind}")


def _sms(world: World, cid: int) -> Counter[str]:
    with world.app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms"))
        kinds = Counter(m.kind for m in rows if m.data.get("case_id") == cid)
        db.session.remove()
    return kinds


def _checked(client, auth, world: World, item: str, entrusted: bool = True) -> tuple[int, str]:
    cid = world.case(world.home, item, entrusted=entrusted)
    body = _post(client, auth, "staff", f"/api/cases/{cid}/transitions",
                 {"to": "materials_checked"})  # fmt: skip
    return cid, body["reference"]


def test_no_agent_takes_documents_without_an_entrustment(client, auth, world, tmp_path):
    """Custody to an agent is a 422 naming the fix; the signed 委托书 lets it through and
    prints; revocation through village staff brings the file home and ends the case."""
    cid, reference = _checked(client, auth, world, TOWNSHIP_ITEM, entrusted=False)
    refused = _hand(client, auth, cid, "agent", world.home.agent, 422)
    assert f"/api/cases/{cid}/entrustment" in refused["message"]
    entrust = {
        "agent_id": world.home.agent,
        "materials": ["户口簿", "残疾人证申请表"],
        "valid_until": "2099-12-31",
        "captured_at": "village_room",
    }
    missing = _post(client, auth, "staff", f"/api/cases/{cid}/entrustment", entrust, 422)
    assert "signature" in missing["message"]
    signed = _post(client, auth, "staff", f"/api/cases/{cid}/entrustment",
                   entrust | {"signature_png": SIGNATURE}, 201)  # fmt: skip
    assert signed["in_force"] and signed["has_signature"]
    _hand(client, auth, cid, "agent", world.home.agent)
    text = _form(client, auth, cid, "entrustment", tmp_path)
    assert reference in text and "代办委托书" in text and "户口簿" in text

    _post(client, auth, "agent", f"/api/cases/{cid}/entrustment/revocation",
          {"reason": "村民改为自行办理"}, 403)  # fmt: skip
    case = _post(client, auth, "staff", f"/api/cases/{cid}/entrustment/revocation",
                 {"reason": "村民改为自行办理"})  # fmt: skip
    assert (case["status"], case["holder_kind"]) == ("withdrawn", "agent")
    assert "已撤销" in _form(client, auth, cid, "entrustment", tmp_path)
    home = _hand(client, auth, cid, "applicant", case["applicant_id"])
    assert home["to_kind"] == "applicant"
    after = client.get(f"/api/cases/{cid}", headers=auth("dispatcher")).get_json()
    assert after["status"] == "cancelled"
    assert _sms(world, cid)["case_withdrawn"] == 1


@pytest.fixture
def village_room(app, world) -> int:
    """The home village's room (便民服务室), made if the demo has none."""
    with app.app_context():
        village = db.session.scalar(select(Region).where(Region.code == world.home.village))
        room = db.session.scalar(
            select(ServiceCentre).where(
                ServiceCentre.region_id == village.id, ServiceCentre.kind == CentreKind.VILLAGE
            )
        )
        room_id = room.id if room else None
        db.session.remove()
    if room_id is None:
        pytest.skip("the demo village has no room")
    return room_id


def test_a_village_item_is_decided_and_delivered_on_the_spot(client, auth, world, tmp_path,
                                                             village_room):  # fmt: skip
    """现场受理、办结、出证: no legs, two hand-overs at the room, the 办结单 prints."""
    cid = world.case(world.home, VILLAGE_ITEM)
    county = world.case(world.home, "DEMO-GA-001")
    _post(client, auth, "staff", f"/api/cases/{county}/on-site-completion", {}, 422)
    case = _post(client, auth, "staff", f"/api/cases/{cid}/on-site-completion",
                 {"signature_png": SIGNATURE})  # fmt: skip
    assert case["status"] == "delivered" and case["holder_kind"] == "applicant"
    assert [(e["to_kind"], e["to_id"]) for e in case["custody"]] == [
        ("centre", village_room),
        ("applicant", case["applicant_id"]),
    ]
    assert [h["to_status"] for h in case["history"]][-3:] == [
        "materials_checked", "decided", "delivered",
    ]  # fmt: skip
    text = _form(client, auth, cid, "decision", tmp_path)
    assert case["reference"] in text and "办结单" in text
    assert _sms(world, cid) == Counter({"rate_service": 1})


def test_supplement_twice_then_refusal(client, auth, world, tmp_path):
    """补正 goes down to the villager and back up (clock stopped meanwhile), twice; then the
    refusal with its legal basis goes down with the 不予许可告知书."""
    cid, reference = _checked(client, auth, world, TOWNSHIP_ITEM)
    centre = world.home.centre
    with world.app.app_context():
        material = db.session.get(Case, cid).item.materials[0]["name"]
        db.session.remove()
    for round_ in (1, 2):
        _hand(client, auth, cid, "centre", centre)
        case = _post(client, auth, "dispatcher", f"/api/cases/{cid}/supplement-request",
                     {"missing": [material]})  # fmt: skip
        assert case["status"] == "supplement" and case["clock_stopped"]
        text = _form(client, auth, cid, "notice", tmp_path)
        assert reference in text and f"第 {round_} 次" in text and material in text
        case = _hand(client, auth, cid, "applicant", case["applicant_id"])
        case = client.get(f"/api/cases/{cid}", headers=auth("dispatcher")).get_json()
        assert case["status"] == "supplementing" and case["clock_stopped"]
        _hand(client, auth, cid, "agent", world.home.agent, 409)
        case = _post(client, auth, "staff", f"/api/cases/{cid}/supplement-received",
                     {"items": [material]})  # fmt: skip
        assert case["status"] == "materials_checked" and not case["clock_stopped"]
    _hand(client, auth, cid, "centre", centre)
    _post(client, auth, "staff", f"/api/cases/{cid}/refusal",
          {"kind": "not_permitted", "reason": "x", "legal_basis": "y"}, 403)  # fmt: skip
    case = _post(client, auth, "dispatcher", f"/api/cases/{cid}/refusal", {
        "kind": "not_permitted",
        "reason": "残疾评定等级不符合发证条件",
        "legal_basis": "《残疾人证管理办法》第七条",
    })  # fmt: skip
    assert case["status"] == "refused" and "第七条" in case["refusal_reason"]
    text = _form(client, auth, cid, "decision", tmp_path)
    assert reference in text and "不予许可决定告知书" in text and "第七条" in text
    _hand(client, auth, cid, "applicant", case["applicant_id"])
    closed = client.get(f"/api/cases/{cid}", headers=auth("dispatcher")).get_json()
    assert closed["status"] == "closed" and closed["holder_kind"] == "applicant"
    assert _sms(world, cid) == Counter({"supplement_requested": 2, "case_refused": 1})


def test_suspend_continue_withdraw(client, auth, world):
    """中止 holds the file where it is (no hand-over), 续办 goes back to where it was, 撤回
    sends the file home; the villager hears of each once."""
    cid, _ = _checked(client, auth, world, TOWNSHIP_ITEM)
    _hand(client, auth, cid, "agent", world.home.agent)
    case = _post(client, auth, "staff", f"/api/cases/{cid}/suspension",
                 {"reason": "申请人外出务工"})  # fmt: skip
    assert case["status"] == "suspended" and case["clock_stopped"]
    blocked = _hand(client, auth, cid, "centre", world.home.centre, 409)
    assert f"/api/cases/{cid}/continuation" in blocked["message"]
    _post(client, auth, "staff", f"/api/cases/{cid}/suspension", {"reason": "again"}, 409)
    case = _post(client, auth, "staff", f"/api/cases/{cid}/continuation", {})
    assert case["status"] == "with_agent" and not case["clock_stopped"]
    case = _post(client, auth, "staff", f"/api/cases/{cid}/withdrawal", {"reason": "不办了"})
    assert (case["status"], case["holder_kind"]) == ("withdrawn", "agent")
    _hand(client, auth, cid, "applicant", case["applicant_id"])
    done = client.get(f"/api/cases/{cid}", headers=auth("dispatcher")).get_json()
    assert done["status"] == "cancelled"
    assert _sms(world, cid) == Counter(
        {"case_suspended": 1, "case_continued": 1, "case_withdrawn": 1}
    )
