"""Printed forms: each renders to a page (pdftoppm) whose text (pdftotext) holds the case."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.access import AccessRecord
from dispatch.services import cases

from .conftest import World

pytestmark = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils not installed (make browser-deps installs it)",
)


def pdf_text(body: bytes, tmp_path: Path, name: str) -> str:
    """Render the first page to PNG and return the text of the whole PDF."""
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(body)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / name)],
        check=True,
    )
    pngs = list(tmp_path.glob(f"{name}*.png"))
    assert pngs and pngs[0].stat().st_size > 1000, "the first page did not render"
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def _walk(world: World, item: str, steps: list[tuple[str, object]]) -> tuple[int, str]:
    """A fresh case moved through ``steps`` (("to", status) or ("hand", (kind, id)))."""
    cid = world.case(world.home, item)
    with world.app.app_context():
        case = cases.get_case(db.session, world.scope, cid)
        for step, arg in steps:
            if step == "to":
                status, missing = arg if isinstance(arg, tuple) else (arg, None)
                cases.transition(db.session, world.scope, case, status, missing=missing)
            else:
                kind, ref = arg  # type: ignore[misc]
                cases.hand_over(db.session, world.scope, case, kind, ref, signature_png=None)
        reference = case.reference
        db.session.remove()
    return cid, reference


@pytest.mark.parametrize(
    ("kind", "heading", "steps"),
    [
        ("receipt", "受理回执", []),
        ("notice", "一次性告知书", [("to", ("returned", ["居民身份证"]))]),
        ("handover", "交接单", [("to", "materials_checked"), ("hand", ("agent", None))]),
        ("decision", "办结单", "township-decided"),
    ],
)
def test_case_form_renders_with_its_reference(client, auth, world, tmp_path, kind, heading, steps):
    """Each form is a PDF whose page renders and whose text has its title and the reference."""
    item = "DEMO-GA-001"
    if steps == "township-decided":
        item = "DEMO-SB-001"
        steps = [
            ("to", "materials_checked"),
            ("hand", ("centre", world.home.centre)),
            ("to", "decided"),
        ]
    steps = [(s, (a[0], world.home.agent) if s == "hand" and a[1] is None else a) for s, a in steps]
    cid, reference = _walk(world, item, steps)
    resp = client.get(f"/api/cases/{cid}/forms/{kind}.pdf", headers=auth("dispatcher"))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/pdf"
    text = pdf_text(resp.data, tmp_path, kind)
    assert reference in text
    assert heading in text


def test_receipt_prints_the_promised_date(client, auth, world, tmp_path):
    """The receipt says when the case is promised, as the case API does."""
    cid = world.case(world.home)
    due = client.get(f"/api/cases/{cid}", headers=auth("staff")).get_json()["due_date"]
    resp = client.get(f"/api/cases/{cid}/forms/receipt.pdf", headers=auth("staff"))
    assert due in pdf_text(resp.data, tmp_path, "receipt")


def test_forms_are_scoped_like_the_case(client, auth, world):
    """A case outside the caller's region is a 404, as is its form."""
    away = world.away.case
    assert client.get(f"/api/cases/{away}", headers=auth("dispatcher")).status_code == 404
    resp = client.get(f"/api/cases/{away}/forms/receipt.pdf", headers=auth("dispatcher"))
    assert resp.status_code == 404
    assert "辖区" in resp.get_json()["message"]


@pytest.mark.parametrize("kind", ["notice", "handover", "decision"])
def test_form_a_case_does_not_have_yet_is_409(client, auth, world, kind):
    """A fresh case has no notice, no hand-over and no decision to print."""
    cid = world.case(world.home)
    resp = client.get(f"/api/cases/{cid}/forms/{kind}.pdf", headers=auth("dispatcher"))
    assert resp.status_code == 409
    assert resp.get_json()["message"]


def test_unknown_form_is_404(client, auth, world):
    resp = client.get(
        f"/api/cases/{world.home.case}/forms/nonsense.pdf", headers=auth("dispatcher")
    )
    assert resp.status_code == 404


@pytest.mark.parametrize(
    ("kind", "role", "fields"),
    [("receipt", "staff", ["name"]), ("entrustment", "dispatcher", ["name", "signature"])],
)
def test_a_printed_form_is_recorded(app, client, auth, world, kind, role, fields):
    """A form names the villager (the entrustment carries their signature): each print has
    its access record, with the purpose printed_form."""
    cid = world.case(world.home)
    rid = uuid.uuid4().hex
    path = f"/api/cases/{cid}/forms/{kind}.pdf"
    resp = client.get(path, headers=auth(role) | {"X-Request-ID": rid})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    with app.app_context():
        [record] = db.session.scalars(select(AccessRecord).where(AccessRecord.request_id == rid))
        db.session.remove()
    assert (record.subject_kind, record.subject_id) == ("applicant", world.home.applicant)
    assert (record.field_list, record.purpose) == (fields, "printed_form")
    assert record.endpoint == f"GET {path}" and record.username == role
