"""The dispatcher's list of stop reports kept unapplied, and marking one as checked."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.plans import StopEvent
from dispatch.models.users import User
from dispatch.workdays import next_working_day
from tests.dispatch.conftest import OTHER_TOWNSHIP_SAME_COUNTY
from tests.dispatch.planning.conftest import publish_day
from tests.dispatch.planning.test_stale_stops import (
    DAYS_USED,
    agent_headers,
    cancel,
    open_stops,
    replan_and_publish,
)

TOWNSHIP = "445203103000"
LIST = "/api/plans/unapplied-reports"
CANCELLABLE = {"registered", "materials_checked", "with_agent", "at_township"}
_logins = itertools.count(1)
_keys = itertools.count(1)


@pytest.fixture(scope="module")
def stale(app, tokens, work_day: date) -> dict[str, Any]:
    """A day whose published plan lost a task: the stop's cases were withdrawn and the day
    re-planned. Made once: the demo has few stops whose cases can all be withdrawn."""
    client = app.test_client()

    def auth(username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[username]}"}

    day = work_day
    for _ in range(next(DAYS_USED)):
        day = next_working_day(day)
    old_plan = publish_day(client, auth, app, day)
    route, stop = next(
        (r, s)
        for r, s in open_stops(old_plan)
        if s["cases"] and all(c["status"] in CANCELLABLE for c in s["cases"])
    )
    for case in stop["cases"]:
        cancel(client, auth, case["id"])
    new_plan = replan_and_publish(client, auth, old_plan["id"])
    head = agent_headers(client, app, route["agent_id"])
    return {
        "day": day.isoformat(),
        "route": route,
        "stop": stop,
        "old": old_plan,
        "new": new_plan,
        "agent": head,
    }


@pytest.fixture()
def report(client, app, stale) -> dict[str, Any]:
    """A fresh report from the agent's phone on the stop that left the plan: stored unapplied
    (each report with a key of its own is a new one). ``stale`` plus the report's id."""
    key = f"unapplied-{next(_keys):04d}-{stale['stop']['id']}"
    body = {"status": "failed", "reason": "村委会无人 / nobody there", "idempotency_key": key}
    resp = client.patch(
        f"/api/plans/stops/{stale['stop']['id']}", headers=stale["agent"], json=body
    )
    assert resp.status_code == 409, resp.get_json()
    with app.app_context():
        report_id = db.session.scalar(select(StopEvent.id).where(StopEvent.idempotency_key == key))
        db.session.remove()
    assert report_id is not None
    return stale | {"id": report_id, "reason": body["reason"]}


def listed(client, head: dict[str, str], day: str, **query: str) -> dict[int, dict[str, Any]]:
    """The list for ``day`` (and ``query``), by report id."""
    params = "&".join(f"{k}={v}" for k, v in ({"day": day} | query).items())
    resp = client.get(f"{LIST}?{params}", headers=head)
    assert resp.status_code == 200, resp.get_json()
    return {r["id"]: r for r in resp.get_json()}


def dispatcher_of(client, auth, township: str) -> dict[str, str]:
    """Headers of a new dispatcher login for ``township``, made by the admin."""
    user = {"username": f"unapplied{next(_logins)}", "password": "unapplied-pass-1"}
    resp = client.post(
        "/api/users/",
        headers=auth("admin"),
        json=user | {"role": "dispatcher", "region": township},
    )
    assert resp.status_code == 201, resp.get_json()
    resp = client.post("/api/auth/login", json=user)
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def test_unapplied_report_is_listed_with_what_the_dispatcher_needs(client, auth, report):
    """The township's dispatcher sees the report: what, why and when, the agent, the stop and
    cases the phone named, its version and the version published now; unresolved."""
    rows = listed(client, auth("dispatcher"), report["day"], township=TOWNSHIP, resolved="false")
    row = rows[report["id"]]
    stop, route = report["stop"], report["route"]
    assert (row["status"], row["reason"]) == ("failed", report["reason"])
    assert row["at"] and row["received_at"]
    assert row["agent"] == {"id": route["agent_id"], "name": route["agent"]}
    assert row["township"]["code"] == TOWNSHIP and row["township"]["name"]
    assert row["day"] == report["day"]
    assert row["plan_id"] == report["old"]["id"]
    assert row["plan_version"] == report["old"]["version"]
    assert row["current_version"] == report["new"]["version"] > row["plan_version"]
    assert row["stop"]["id"] == stop["id"]
    assert (row["stop"]["label"], row["stop"]["task_key"], row["stop"]["kind"]) == (
        stop["label"],
        stop["task_key"],
        stop["kind"],
    )
    assert row["stop"]["cases"] == [
        {"id": c["id"], "reference": c["reference"]} for c in stop["cases"]
    ]
    assert row["resolved_at"] is None and row["resolved_by"] is None
    assert row["reported_by"].startswith(("route-agent-", "agent"))
    county = listed(client, auth("county"), report["day"])
    assert report["id"] in county  # the county supervisor reads it too


def test_other_region_and_agents_do_not_see_it(client, auth, app, report):
    """A dispatcher of another township gets an empty list and a 404 on resolving; naming the
    report's township is a 422; an agent is refused the list."""
    other = dispatcher_of(client, auth, OTHER_TOWNSHIP_SAME_COUNTY)
    assert report["id"] not in listed(client, other, report["day"])
    resp = client.get(f"{LIST}?township={TOWNSHIP}", headers=other)
    assert resp.status_code == 422, resp.get_json()
    assert "township" in resp.get_json()["errors"]
    resp = client.post(f"{LIST}/{report['id']}/resolve", headers=other, json={"note": "看过了"})
    assert resp.status_code == 404, resp.get_json()
    resp = client.get(LIST, headers=report["agent"])
    assert resp.status_code == 403, resp.get_json()
    assert "dispatcher" in resp.get_json()["message"]


def test_resolving_records_who_and_leaves_the_unresolved_list(client, auth, app, report):
    """Checked with a note: the answer and the database say who, when and what; the report is
    gone from resolved=false and shown under resolved=true."""
    note = "  已电话核实：村委会当天无人，改约下周 / confirmed by phone  "
    resp = client.post(
        f"{LIST}/{report['id']}/resolve", headers=auth("dispatcher"), json={"note": note}
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["id"] == report["id"] and body["resolved_at"]
    assert body["resolved_by"]["username"] == "dispatcher"
    assert body["resolution_note"] == note.strip()
    assert body["current_version"] == report["new"]["version"]
    head = auth("dispatcher")
    assert report["id"] not in listed(client, head, report["day"], resolved="false")
    assert listed(client, head, report["day"], resolved="true")[report["id"]]["resolved_at"]
    with app.app_context():
        event = db.session.get(StopEvent, report["id"])
        checker = db.session.scalar(select(User).where(User.username == "dispatcher"))
        assert event.resolved_by_id == checker.id and event.resolved_at is not None
        assert not event.applied  # checking does not apply the report to any stop
        db.session.remove()


def test_resolving_twice_is_a_conflict(client, auth, report):
    """The second check is a 409 naming who checked it first; the first note stays."""
    url = f"{LIST}/{report['id']}/resolve"
    first = client.post(url, headers=auth("admin"), json={"note": "first"})
    assert first.status_code == 200, first.get_json()
    again = client.post(url, headers=auth("dispatcher"), json={"note": "second"})
    assert again.status_code == 409, again.get_json()
    assert "已由 admin" in again.get_json()["message"]
    assert "already checked by admin" in again.get_json()["message"]
    row = listed(client, auth("dispatcher"), report["day"])[report["id"]]
    assert row["resolution_note"] == "first" and row["resolved_by"]["username"] == "admin"


def test_supervisor_reads_but_cannot_resolve(client, auth, report):
    """Supervisors are read-only: the resolve is a 403 and the report stays unresolved."""
    resp = client.post(
        f"{LIST}/{report['id']}/resolve", headers=auth("county"), json={"note": "看过了"}
    )
    assert resp.status_code == 403, resp.get_json()
    row = listed(client, auth("county"), report["day"], resolved="false")[report["id"]]
    assert row["resolved_at"] is None


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("day=2026-13-01", "day", "YYYY-MM-DD"),
        ("day=yesterday", "day", "YYYY-MM-DD"),
        ("township=44520310300", "township", "12-digit"),
        ("township=445203999000", "township", "no region"),
        ("township=445203103001", "township", "needs a township"),
        ("resolved=maybe", "resolved", "true or false"),
    ],
)
def test_bad_list_arguments_are_a_422_that_names_the_field(client, auth, query, field, words):
    """A bad day, township or flag is refused with the field and a hint, never a 500."""
    resp = client.get(f"{LIST}?{query}", headers=auth("dispatcher"))
    assert resp.status_code == 422, resp.get_json()
    errors = resp.get_json()["errors"]
    found = errors.get("query", errors).get(field)
    assert found and words in " ".join(found), errors


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "请写明核对结果"),
        ({"note": ""}, "1–500"),
        ({"note": "   "}, "请写明核对结果"),
        ({"note": "x" * 501}, "1–500"),
        ({"note": "ok", "extra": 1}, "Unknown"),
    ],
)
def test_bad_resolve_body_is_a_422_with_a_hint(client, auth, body, words):
    """A missing, empty, blank or overlong note is refused with a bilingual hint (the body is
    checked before the report is looked up, so no report is needed)."""
    resp = client.post(f"{LIST}/2000000/resolve", headers=auth("dispatcher"), json=body)
    assert resp.status_code == 422, resp.get_json()
    assert words in str(resp.get_json()["errors"])


def test_unknown_or_applied_report_is_a_404(client, auth, app, report):
    """Only unapplied reports can be checked: an unknown id and an applied report are 404s."""
    head = auth("dispatcher")
    resp = client.post(f"{LIST}/2000000/resolve", headers=head, json={"note": "x"})
    assert resp.status_code == 404 and "2000000" in resp.get_json()["message"]
    _, stop = open_stops(report["new"])[0]
    resp = client.patch(f"/api/plans/stops/{stop['id']}", headers=head, json={"status": "arrived"})
    assert resp.status_code == 200, resp.get_json()
    with app.app_context():
        applied = db.session.scalar(
            select(StopEvent.id).where(StopEvent.stop_id == stop["id"], StopEvent.applied)
        )
        db.session.remove()
    resp = client.post(f"{LIST}/{applied}/resolve", headers=head, json={"note": "x"})
    assert resp.status_code == 404, resp.get_json()
    assert applied not in listed(client, head, report["day"])
