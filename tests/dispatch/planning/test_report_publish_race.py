"""A stop report and a publish of the same township: the report is never undone.

Two ways it was lost under load (issue 17): a draft copies a stop the agent had reached as
'arrived', the agent reports 'done', and the publish kept 'arrived'; and a report landing on
the version a publish was replacing, after the publish had read its stops. Reports share the
township's row lock that a publish holds alone (``planning.locks``), and the publish carries
any report further on than the draft.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from dispatch.extensions import db
from dispatch.models.plans import Plan, PlanStop
from dispatch.planning import service as planning
from tests.dispatch.planning.conftest import waits_for
from tests.dispatch.planning.test_stale_stops import agent_headers, open_stops, own_plan

__all__ = ["own_plan"]  # the fixture, used by name


def _report(client, head, stop_id: int, status: str, key: str):
    return client.patch(
        f"/api/plans/stops/{stop_id}", headers=head, json={"status": status, "idempotency_key": key}
    )


def _draft(client, auth, plan_id: int) -> dict[str, Any]:
    resp = client.post(
        f"/api/plans/{plan_id}/replan", headers=auth("dispatcher"), json={"reason": "race"}
    )
    assert resp.status_code == 201, resp.get_json()
    return client.get(
        f"/api/plans/{resp.get_json()['plan_id']}", headers=auth("dispatcher")
    ).get_json()


def _same_stop(plan: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    (same,) = [
        s
        for r in plan["routes"]
        for s in r["stops"]
        if (s["task_key"], s["kind"]) == (old["task_key"], old["kind"])
    ]
    return same


def _status(app, stop_id: int) -> str:
    with app.app_context():
        status = db.session.get(PlanStop, stop_id).status
        db.session.remove()
    return status


def test_done_after_the_draft_survives_its_publish(client, auth, own_plan, app):
    """Arrived, a draft copies it as arrived, then done: the published draft says done."""
    route, stop = open_stops(own_plan)[0]
    head = agent_headers(client, app, route["agent_id"])
    assert _report(client, head, stop["id"], "arrived", f"race-a-{stop['id']}").status_code == 200
    draft = _draft(client, auth, own_plan["id"])
    assert _same_stop(draft, stop)["status"] == "arrived"
    assert _report(client, head, stop["id"], "done", f"race-d-{stop['id']}").status_code == 200
    resp = client.post(f"/api/plans/{draft['id']}/publish", headers=auth("dispatcher"))
    assert resp.status_code == 200, resp.get_json()
    assert _status(app, _same_stop(draft, stop)["id"]) == "done"


def test_a_report_waits_for_a_publish_under_way(client, auth, own_plan, app, backend):
    """The publish has read the stops and not committed: the report waits for it, then lands
    on the new version's stop, answered with that stop's id."""
    if backend != "postgres":
        pytest.skip("SQLite has one writer at a time; the row locks are PostgreSQL's")
    route, stop = open_stops(own_plan)[0]
    head = agent_headers(client, app, route["agent_id"])
    draft = _draft(client, auth, own_plan["id"])
    same = _same_stop(draft, stop)
    carried, commit = threading.Event(), threading.Event()

    def publish() -> None:
        with app.app_context():
            planning.publish(db.session, db.session.get(Plan, draft["id"]))
            carried.set()
            commit.wait(30)
            db.session.commit()
            db.session.remove()

    def report() -> Any:
        with app.test_client() as c:
            return _report(c, head, stop["id"], "done", f"race-w-{stop['id']}")

    publisher = threading.Thread(target=publish)
    publisher.start()
    assert carried.wait(60)
    waited, resp = waits_for(commit, report)
    publisher.join(60)
    assert waited, "the report did not wait for the publish under way"
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["id"] == same["id"]
    assert resp.get_json()["reported_stop_id"] == stop["id"]
    assert _status(app, same["id"]) == "done"
    assert _status(app, stop["id"]) == "planned"
