"""KPIs are counted from the records: one township-month recomputed by hand from the API."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from dispatch.extensions import db
from dispatch.services import cases, ratings
from dispatch.setup.demo import DEMO_TOWNSHIP
from dispatch.workdays import cst_date, working_days_between

from ..supervision_data import deliver_case

NOV = (date(2026, 11, 1), date(2026, 11, 30))


def _all(client, headers, path):
    rows, page = [], 1
    while True:
        resp = client.get(
            f"{path}{'&' if '?' in path else '?'}page={page}&page_size=100", headers=headers
        )
        assert resp.status_code == 200, resp.get_json()
        rows += resp.get_json()
        if len(resp.get_json()) < 100:
            return rows
        page += 1


def _in_nov(iso: str) -> bool:
    return NOV[0] <= cst_date(datetime.fromisoformat(iso)) <= NOV[1]


@pytest.fixture(scope="module")
def november(app, world):
    """Three deliveries in November 2026 (one on time), a 差评 and a 满意 among them."""
    ids = [
        deliver_case(
            app,
            world.scope,
            world.home.village,
            world.home.agent,
            delivered_at=datetime(2026, 11, 18, 3, 0, tzinfo=UTC),
            lead=timedelta(hours=4),
        ),
        deliver_case(
            app,
            world.scope,
            world.home.village,
            world.home.agent,
            delivered_at=datetime(2026, 11, 20, 3, 0, tzinfo=UTC),
            lead=timedelta(days=6),
        ),
        deliver_case(
            app,
            world.scope,
            world.home.village,
            world.home.agent,
            delivered_at=datetime(2026, 11, 24, 3, 0, tzinfo=UTC),
        ),
    ]
    with app.app_context():
        ratings.record_rating(
            db.session,
            world.scope,
            ids[0],
            "satisfied",
            "callback",
            now=datetime(2026, 11, 19, 2, 0, tzinfo=UTC),
        )
        ratings.record_rating(
            db.session,
            world.scope,
            ids[1],
            "very_dissatisfied",
            "callback",
            now=datetime(2026, 11, 21, 2, 0, tzinfo=UTC),
        )
        db.session.remove()
    return ids


def test_township_month_recomputed_by_hand(client, auth, november):
    """Cases by item and channel, on-time rate, mean working days and the ratings, by hand."""
    disp = auth("dispatcher")
    got = client.get("/api/kpis?level=township&period=2026-11", headers=disp)
    assert got.status_code == 200, got.get_json()
    units = got.get_json()["units"]
    assert [u["unit"]["code"] for u in units] == [DEMO_TOWNSHIP]
    kpi = units[0]
    cases = _all(client, disp, "/api/cases/")
    registered = [c for c in cases if _in_nov(c["registered_at"])]
    assert kpi["cases"]["count"] == len(registered) > 3
    assert kpi["cases"]["by_item"] == dict(Counter(c["item_code"] for c in registered))
    assert kpi["cases"]["by_channel"] == dict(Counter(c["channel"] for c in registered))
    delivered = []
    for c in cases:
        # Cancelled too: other modules' clean-up cancels the cases they delivered.
        if c["status"] not in ("delivered", "closed", "cancelled"):
            continue
        detail = client.get(f"/api/cases/{c['id']}", headers=disp).get_json()
        at = [h["at"] for h in detail["history"] if h["to_status"] == "delivered"]
        if at and _in_nov(at[-1]):
            delivered.append((detail, cst_date(datetime.fromisoformat(at[-1]))))
    on_time = [d for d, day in delivered if day <= date.fromisoformat(d["due_date"])]
    days = [
        working_days_between(cst_date(datetime.fromisoformat(d["registered_at"])), day)
        for d, day in delivered
    ]
    assert kpi["cases"]["delivered"] == len(delivered) >= 3
    assert 0 < len(on_time) < len(delivered)
    assert kpi["cases"]["on_time_rate"] == round(len(on_time) / len(delivered), 4)
    assert kpi["cases"]["mean_working_days"] == round(sum(days) / len(days), 2)
    rated = [
        r
        for r in _all(client, disp, "/api/ratings/")
        if _in_nov(r["rated_at"]) and r["removed_at"] is None
    ]
    sat = kpi["satisfaction"]
    assert sat["ratings"] == len(rated) >= 2
    assert sat["distribution"] == {
        zh: sum(1 for r in rated if r["level_zh"] == zh)
        for zh in ("非常满意", "满意", "基本满意", "不满意", "非常不满意")
    }
    assert sat["bad"] == sum(r["bad"] for r in rated) >= 1
    assert sat["bad_rate"] == round(sat["bad"] / len(rated), 4)
    assert sat["callback_rate"] == 0.0  # the 差评's call-back is not done yet


def test_agent_level_and_the_agent_scope(client, auth, november, world):
    """An agent sees only their own row; the township sees each of its agents."""
    mine = client.get("/api/kpis?level=agent&period=2026-11", headers=auth("agent")).get_json()
    assert [u["unit"]["agent_id"] for u in mine["units"]] == [world.home.agent]
    assert mine["units"][0]["cases"]["delivered"] >= 3
    denied = client.get("/api/kpis?level=township&period=2026-11", headers=auth("agent"))
    assert denied.status_code == 403
    town = client.get("/api/kpis?level=agent&period=2026-11", headers=auth("dispatcher"))
    assert len(town.get_json()["units"]) > 1


@pytest.mark.parametrize("period", ["2026-13", "26-11", "2026-W60", "2026-02-30", "x"])
def test_bad_period_is_422(client, auth, period):
    resp = client.get(f"/api/kpis?level=township&period={period}", headers=auth("county"))
    assert resp.status_code == 422


@pytest.mark.parametrize("period", ["2026-11-18", "2026-W47", "2026-11", "2026"])
def test_every_granularity(client, auth, november, period):
    """Day, week, month and year; the delivery of 18 November lies in each."""
    body = client.get(f"/api/kpis?level=county&period={period}", headers=auth("county")).get_json()
    assert [u["unit"]["code"] for u in body["units"]] == ["445203000000"]
    assert body["units"][0]["cases"]["delivered"] >= 1


def test_county_level_above_a_township_is_422(client, auth):
    resp = client.get("/api/kpis?level=county&period=2026-11", headers=auth("dispatcher"))
    assert resp.status_code == 422


def test_xlsx_workbook(client, auth, november):
    """format=xlsx: a workbook with a sheet per group and a row per unit, as the JSON says."""
    url = "/api/kpis?level=township&period=2026-11"
    resp = client.get(url + "&format=xlsx", headers=auth("county"))
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames[:2] == ["说明 About", "办件 Cases"]
    sheet = wb["办件 Cases"]
    header = [c.value for c in sheet[1]]
    json_units = client.get(url, headers=auth("county")).get_json()["units"]
    assert sheet.max_row == 1 + len(json_units)
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == DEMO_TOWNSHIP)
    want = next(u for u in json_units if u["unit"]["code"] == DEMO_TOWNSHIP)["cases"]
    assert row[header.index("delivered")] == want["delivered"]
    assert row[header.index("on_time_rate")] == want["on_time_rate"]


def test_public_monthly_results(client, november):
    """No login; per county and township; counts and rates only, nothing personal."""
    resp = client.get("/api/public/ratings/results?month=2026-11")
    assert resp.status_code == 200, resp.get_json()
    units = {u["code"]: u for u in resp.get_json()["units"]}
    town = units[DEMO_TOWNSHIP]
    assert town["ratings"] >= 2 and town["bad"] >= 1
    assert units["445203000000"]["ratings"] >= town["ratings"]
    text = resp.get_data(as_text=True)
    assert "测试村民" not in text and "applicant" not in text and "case_id" not in text
    assert client.get("/api/public/ratings/results?month=2026").status_code == 422


def test_the_hold_limit_is_a_setting(app, client, auth, world):
    """DAIBAN_KPI_HOLD_DAYS sets how long an agent may hold documents: a case handed to the
    agent ten days ago counts as held too long at 3 working days, not at 10."""
    case_id = world.case(world.home)
    with app.app_context():
        case = cases.get_case(db.session, world.scope, case_id)
        cases.transition(db.session, world.scope, case, "materials_checked")
        event = cases.hand_over(db.session, world.scope, case, "agent", world.home.agent)
        # As if taken ten days ago: six to eight working days in the agent's hands.
        event.at = datetime.now(UTC) - timedelta(days=10)
        db.session.commit()
        db.session.remove()
    url = f"/api/kpis?level=township&period={cst_date(datetime.now(UTC))}"
    held = {}
    for days in (3, 10):
        app.config["KPI_HOLD_DAYS"] = days
        try:
            body = client.get(url, headers=auth("dispatcher")).get_json()
        finally:
            app.config["KPI_HOLD_DAYS"] = 3
        unit = next(u for u in body["units"] if u["unit"]["code"] == DEMO_TOWNSHIP)
        assert unit["custody"]["hold_days"] == days
        held[days] = unit["custody"]["held_too_long"]
    assert held[3] > held[10]
