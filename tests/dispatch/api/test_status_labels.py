"""The API, the pages and the printed forms say a status with the one table's words."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from dispatch.models.status_labels import status_label, status_text

from .conftest import World
from .test_forms import pdf_text


def test_a_case_answers_with_its_status_label(client, auth, world: World):
    """GET /api/cases/<id> and the case list carry {zh, en} beside the status code."""
    cid = world.case(world.home)
    case = client.get(f"/api/cases/{cid}", headers=auth("staff")).get_json()
    assert case["status"] == "registered"
    assert (
        case["status_label"]
        == status_label("case", "registered")
        == {
            "zh": "已受理",
            "en": "Registered",
        }
    )
    listed = client.get("/api/cases/?page_size=100", headers=auth("staff")).get_json()
    assert all(c["status_label"] == status_label("case", c["status"]) for c in listed)


def test_an_appointment_answers_with_its_status_label(client, auth, world: World):
    """A booking's status reads as the table says."""
    apt = client.get(f"/api/appointments/{world.home.appointment}", headers=auth("admin"))
    assert apt.status_code == 200, apt.get_json()
    body = apt.get_json()
    assert body["status_label"] == status_label("booking", body["status"])


@pytest.mark.parametrize(("lang", "word"), [("zh", "在代办员手中"), ("en", "With the agent")])
def test_a_page_gets_the_table_in_its_language(client, lang, word):
    """The page hands common.js the labels of its own language."""
    html = client.get(f"/book?lang={lang}").get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="status-labels">(.*?)</script>', html)
    assert found, "no status-labels on the page"
    labels = json.loads(found[1])
    assert labels["case"]["with_agent"] == word
    assert set(labels) == {"case", "booking", "stop", "plan", "outbox", "rectification"}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_a_printed_form_prints_the_status(client, auth, world: World, tmp_path):
    """The receipt's header has the case's status in both languages."""
    cid = world.case(world.home)
    resp = client.get(f"/api/cases/{cid}/forms/receipt.pdf", headers=auth("staff"))
    assert resp.status_code == 200
    text = pdf_text(resp.data, tmp_path, "receipt")
    assert "办理状态" in text and status_text("case", "registered") in text
