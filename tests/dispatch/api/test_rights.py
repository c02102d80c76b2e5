"""The person's rights (PIPL Art. 44–47): an admin exports, corrects and erases an
applicant's data on their request; each is recorded, and erasure waits for open cases."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select, text

from dispatch.extensions import db
from dispatch.models.access import AccessRecord
from dispatch.services import cases

from .conftest import SIGNATURE as SIGNED_MANDATE
from .conftest import World
from .test_retention import SIGNATURE, signed_hand_over, withdrawn_home


def _applicant_with_receipt(world: World) -> tuple[int, int, str]:
    """A fresh applicant with one case handed over on a signed receipt."""
    aid = world.applicant(world.home.village)
    cid = world.case(dataclasses.replace(world.home, applicant=aid))
    with world.app.app_context():
        case = cases.get_case(db.session, world.scope, cid)
        signed_hand_over(world, case)
        cid, ref = case.id, case.reference
        db.session.remove()
    return aid, cid, ref


def _purposes(app, aid):
    with app.app_context():
        rows = db.session.scalars(
            select(AccessRecord).where(
                AccessRecord.subject_kind == "applicant", AccessRecord.subject_id == aid
            )
        ).all()
        db.session.remove()
    return {r.purpose: set(r.field_list) for r in rows}


def test_export_holds_everything_whole_and_is_recorded(app, client, auth, world):
    """The JSON copy has the whole ID number, the cases and their receipts; it is recorded."""
    aid, cid, ref = _applicant_with_receipt(world)
    resp = client.get(f"/api/privacy/applicants/{aid}/export", headers=auth("admin"))
    assert resp.status_code == 200
    held = resp.get_json()
    assert held["applicant"]["id"] == aid and "*" not in held["applicant"]["id_number"]
    [case] = held["cases"]
    assert case["reference"] == ref and case["custody"][0]["signature_png"] == SIGNATURE
    [mandate] = case["entrustments"]
    assert mandate["signature_png"] == SIGNED_MANDATE and mandate["materials"]
    assert mandate["agent"] and mandate["valid_until"] and mandate["revoked_at"] is None
    shown = {"id_number", "phone", "address", "home_point", "signature"}
    assert _purposes(app, aid)["rights_export"] == shown


def test_correction_changes_and_records_the_fields(app, client, auth, world):
    """A corrected phone is stored and the record names the field and the reason's purpose."""
    aid, _, _ = _applicant_with_receipt(world)
    resp = client.post(
        f"/api/privacy/applicants/{aid}/correction",
        json={"phone": "13912345678", "reason": "本人来电更正"},
        headers=auth("admin"),
    )
    assert resp.status_code == 200 and resp.get_json()["phone"] == "13912345678"
    assert _purposes(app, aid)["rights_correction"] == {"phone"}
    missing = client.post(
        f"/api/privacy/applicants/{aid}/correction",
        json={"phone": "13912345678"},
        headers=auth("admin"),
    )
    assert missing.status_code == 422 and "reason" in missing.get_json()["errors"]["json"]


def test_erase_waits_for_open_cases_then_leaves_nothing(app, client, auth, world):
    """Refused with the open case named; after it is cancelled, the raw row holds no one."""
    aid, cid, ref = _applicant_with_receipt(world)
    url = f"/api/privacy/applicants/{aid}/erase"
    refused = client.post(url, json={"reason": "本人申请"}, headers=auth("admin"))
    assert refused.status_code == 409 and ref in refused.get_json()["message"]
    with app.app_context():
        before = db.session.execute(
            text("SELECT phone, id_number FROM applicants WHERE id = :a"), {"a": aid}
        ).one()
        case = cases.get_case(db.session, world.scope, cid)
        withdrawn_home(world, case)
        db.session.remove()
    done = client.post(url, json={"reason": "本人申请"}, headers=auth("admin"))
    assert done.status_code == 200 and done.get_json()["name"] == "已删除"
    with app.app_context():
        row = db.session.execute(
            text("SELECT name, phone, id_number FROM applicants WHERE id = :a"), {"a": aid}
        ).one()
        receipts = db.session.execute(
            text("SELECT seq, signature_hash, photo_hash FROM custody_events WHERE case_id = :c"),
            {"c": cid},
        ).all()
        mandates = db.session.execute(
            text(
                "SELECT agent_id, signature_hash, thumbprint_hash FROM entrustments "
                "WHERE case_id = :c"
            ),
            {"c": cid},
        ).all()
        db.session.remove()
    assert row.name == "已删除" and row.phone == "" and row.id_number != before.id_number
    assert receipts and all(r.signature_hash is None and r.photo_hash is None for r in receipts)
    assert mandates and all(
        m.signature_hash is None and m.thumbprint_hash is None for m in mandates
    )
    assert all(m.agent_id == world.home.agent for m in mandates)  # the mandate stays on record
    assert "id_number" in _purposes(app, aid)["rights_erasure"]
    after = client.get(f"/api/applicants/{aid}", headers=auth("admin")).get_json()
    assert after["id_number"].startswith("ERASED-") and after["phone"] == ""
