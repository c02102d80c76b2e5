"""Signatures and photos through the API: kept in the file store, not the database; an image
over the store's limit is a 422 that says so."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.cases import CustodyEvent

SIGNED = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ" + "Zm9v" * 50


def test_a_receipts_images_are_files_and_the_export_opens_them(app, client, auth, world):
    """The row holds a hash, the database file no image; the person's copy has it whole."""
    cid = world.case(world.home)
    body = {"to_kind": "agent", "to_id": world.home.agent, "signature_png": SIGNED}
    resp = client.post(f"/api/cases/{cid}/custody", json=body, headers=auth("staff"))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["has_signature"] is True
    with app.app_context():
        event = db.session.scalar(select(CustodyEvent).where(CustodyEvent.case_id == cid))
        name = event.signature_hash
        db.session.remove()
    assert name and len(name) == 64
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    for part in (database, database.with_name(database.name + "-wal")):
        if part.is_file():  # SQLite (and its write-ahead log); on PostgreSQL the row says it
            assert b"Zm9vZm9vZm9v" not in part.read_bytes()
    stored = app.extensions["daiban.files"].store.get(name)
    assert b"Zm9vZm9vZm9v" not in stored
    copy = client.get(
        f"/api/privacy/applicants/{world.home.applicant}/export", headers=auth("admin")
    ).get_json()
    receipts = [e for c in copy["cases"] if c["id"] == cid for e in c["custody"]]
    assert [e["signature_png"] for e in receipts] == [SIGNED]


def test_an_image_over_the_limit_is_refused(app, client, auth, world, monkeypatch):
    """A store limit below the image: 422 naming the field, and no hand-over recorded."""
    cid = world.case(world.home)
    monkeypatch.setattr(app.extensions["daiban.files"], "max_bytes", 100)
    body = {"to_kind": "agent", "to_id": world.home.agent, "signature_png": SIGNED}
    resp = client.post(f"/api/cases/{cid}/custody", json=body, headers=auth("staff"))
    assert resp.status_code == 422 and "signature_png" in resp.get_json()["errors"]
    assert "图片过大" in resp.get_json()["message"]
    custody = client.get(f"/api/cases/{cid}/custody", headers=auth("staff")).get_json()
    assert custody == []
