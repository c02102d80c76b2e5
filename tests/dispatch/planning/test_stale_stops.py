"""Stop reports queued offline against a plan version that a re-plan has since replaced."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.plans import PlanStop, StopEvent
from dispatch.workdays import next_working_day
from tests.dispatch.conftest import agent_login
from tests.dispatch.planning.conftest import publish_day

# Each test plans a day of its own, from the twentieth working day after ``work_day`` on, so
# the stops it reports on are open whatever ran before it.
DAYS_USED = itertools.count(20)


@pytest.fixture()
def own_plan(client, auth, app, work_day: date) -> dict[str, Any]:
    """The dispatcher's township planned and published for a day no other test plans."""
    day = work_day
    for _ in range(next(DAYS_USED)):
        day = next_working_day(day)
    return publish_day(client, auth, app, day)


def agent_headers(client, app, agent_id: int) -> dict[str, str]:
    username, password = agent_login(app, agent_id)
    resp = client.post("/api/auth/login", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def open_stops(plan: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(route, stop) for every task stop still planned, busiest route first."""
    routes = sorted(plan["routes"], key=lambda r: -len(r["stops"]))
    return [
        (r, s) for r in routes for s in r["stops"] if s["task_key"] and s["status"] == "planned"
    ]


def replan_and_publish(client, auth, plan_id: int) -> dict[str, Any]:
    head = auth("dispatcher")
    resp = client.post(f"/api/plans/{plan_id}/replan", headers=head, json={"reason": "test"})
    assert resp.status_code == 201, resp.get_json()
    new_id = resp.get_json()["plan_id"]
    assert client.post(f"/api/plans/{new_id}/publish", headers=head).status_code == 200
    return client.get(f"/api/plans/{new_id}", headers=head).get_json()


def events(app, key: str) -> list[tuple[int, int, bool, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(
                StopEvent.stop_id, StopEvent.reported_stop_id, StopEvent.applied, StopEvent.status
            ).where(StopEvent.idempotency_key == key)
        ).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def test_report_on_a_replaced_version_goes_to_the_same_task(client, auth, own_plan, app):
    """An agent's offline 'done' for a stop of a superseded version lands on the stop of the
    published version serving the same task, is recorded with the old id, and applies once."""
    route, old = open_stops(own_plan)[0]
    head = agent_headers(client, app, route["agent_id"])
    new_plan = replan_and_publish(client, auth, own_plan["id"])
    assert new_plan["version"] > own_plan["version"]
    same = [
        s
        for r in new_plan["routes"]
        for s in r["stops"]
        if (s["task_key"], s["kind"]) == (old["task_key"], old["kind"])
    ]
    assert len(same) == 1 and same[0]["id"] != old["id"]
    key = f"stale-done-{old['id']}"
    for _ in range(2):  # the second is the phone retrying after a lost answer
        resp = client.patch(
            f"/api/plans/stops/{old['id']}",
            headers=head,
            json={"status": "done", "idempotency_key": key},
        )
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        assert body["id"] == same[0]["id"] and body["reported_stop_id"] == old["id"]
        assert body["status"] == "done" and body["plan_id"] == new_plan["id"]
        assert body["agent_id"] == next(
            r["agent_id"] for r in new_plan["routes"] if same[0] in r["stops"]
        )
    assert events(app, key) == [(same[0]["id"], old["id"], True, "done")]
    with app.app_context():
        assert db.session.get(PlanStop, same[0]["id"]).status == "done"
        assert db.session.get(PlanStop, old["id"]).status == "planned"  # history unchanged
        db.session.remove()


def test_report_on_a_current_stop_names_itself(client, auth, own_plan):
    """A report on the published version answers with the id it named."""
    _, stop = open_stops(own_plan)[0]
    resp = client.patch(
        f"/api/plans/stops/{stop['id']}", headers=auth("dispatcher"), json={"status": "arrived"}
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["id"] == resp.get_json()["reported_stop_id"] == stop["id"]


def cancel(client, auth, case_id: int) -> None:
    """The villager withdraws: cancelled at once if they hold the file, else it comes back
    down (a held case is never cancelled bare)."""
    head = auth("dispatcher")
    etag = client.get(f"/api/cases/{case_id}", headers=head).headers["ETag"]
    resp = client.post(
        f"/api/cases/{case_id}/withdrawal",
        headers=head | {"If-Match": etag},
        json={"reason": "withdrawn by the villager"},
    )
    assert resp.status_code == 200, resp.get_json()


def test_report_on_a_task_that_left_the_plan_is_kept_and_refused(client, auth, own_plan, app):
    """When the task's cases were withdrawn before the re-plan, the offline report is stored
    unapplied and answered with a bilingual 409, the same on every retry."""
    cancellable = {"registered", "materials_checked", "with_agent", "at_township"}
    route, old = next(
        (r, s)
        for r, s in open_stops(own_plan)
        if s["cases"] and all(c["status"] in cancellable for c in s["cases"])
    )
    head = agent_headers(client, app, route["agent_id"])
    for case in old["cases"]:
        cancel(client, auth, case["id"])
    new_plan = replan_and_publish(client, auth, own_plan["id"])
    assert not any(
        (s["task_key"], s["kind"]) == (old["task_key"], old["kind"])
        and {c["id"] for c in s["cases"]} & {c["id"] for c in old["cases"]}
        for r in new_plan["routes"]
        for s in r["stops"]
    )
    key = f"stale-gone-{old['id']}"
    body = {"status": "failed", "reason": "村委会无人 / nobody at the room", "idempotency_key": key}
    for _ in range(2):
        resp = client.patch(f"/api/plans/stops/{old['id']}", headers=head, json=body)
        assert resp.status_code == 409, resp.get_json()
        answer = resp.get_json()
        assert "已不在当前计划" in answer["message"]
        assert "no longer in the current plan" in answer["message"]
        assert answer["reported_stop_id"] == old["id"]
        assert answer["plan_version"] == new_plan["version"]
    assert events(app, key) == [(old["id"], old["id"], False, "failed")]
    with app.app_context():
        stored = db.session.scalar(select(StopEvent).where(StopEvent.idempotency_key == key))
        assert stored.reason == body["reason"]
        assert db.session.get(PlanStop, old["id"]).status == "planned"
        db.session.remove()
