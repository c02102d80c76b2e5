"""The agent's route sheet: the published route on paper, for the agent and their township."""

from __future__ import annotations

import shutil
import uuid

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.access import AccessRecord
from dispatch.models.cases import Case

from ..api.test_forms import pdf_text
from ..conftest import agent_login

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils not installed"
)


def _busy_route(planned: dict) -> dict:
    return next(r for r in planned["routes"] if any(s["cases"] for s in r["stops"]))


def test_route_sheet_lists_the_stops_cases(client, app, auth, planned, tmp_path):
    """The dispatcher's print of a route names the agent and every case on its stops, and
    each villager it names has an access record of the print."""
    route = _busy_route(planned)
    url = f"/api/agents/{route['agent_id']}/route-sheet.pdf?day={planned['day']}"
    rid = uuid.uuid4().hex
    resp = client.get(url, headers=auth("dispatcher") | {"X-Request-ID": rid})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    text = pdf_text(resp.data, tmp_path, "route")
    assert "路线单" in text
    refs = {c["reference"] for s in route["stops"] for c in s["cases"]}
    assert refs and all(ref in text for ref in refs)
    with app.app_context():
        records = db.session.scalars(select(AccessRecord).where(AccessRecord.request_id == rid))
        named = {r.subject_id: (r.field_list, r.purpose) for r in records}
        whose = set(db.session.scalars(select(Case.applicant_id).where(Case.reference.in_(refs))))
        db.session.remove()
    assert whose and whose <= set(named)
    assert all(v == (["name"], "printed_form") for v in named.values())


def _login(client, app, agent_id: int) -> dict[str, str]:
    username, password = agent_login(app, agent_id)
    token = client.post("/api/auth/login", json={"username": username, "password": password})
    return {"Authorization": f"Bearer {token.get_json()['access_token']}"}


def test_route_sheet_is_the_agents_own(client, auth, app, planned):
    """An agent prints their own route; another agent asking for it gets a 404."""
    mine = planned["routes"][0]["agent_id"]
    agents = client.get("/api/agents/", headers=auth("dispatcher")).get_json()
    other = next(a["id"] for a in agents if a["id"] != mine)
    url = f"/api/agents/{mine}/route-sheet.pdf?day={planned['day']}"
    assert client.get(url, headers=_login(client, app, mine)).status_code == 200
    assert client.get(url, headers=_login(client, app, other)).status_code == 404


def test_route_sheet_outside_the_region_or_day_is_404(client, auth, planned):
    """Village staff see no township route; a day without a plan has no sheet."""
    agent = planned["routes"][0]["agent_id"]
    url = f"/api/agents/{agent}/route-sheet.pdf?day={planned['day']}"
    assert client.get(url, headers=auth("staff")).status_code == 404
    empty = client.get(
        f"/api/agents/{agent}/route-sheet.pdf?day=2026-01-05", headers=auth("dispatcher")
    )
    assert empty.status_code == 404
