"""Manual dispatch and re-planning through the API."""

from __future__ import annotations

from datetime import date

import routing
from dispatch.extensions import db
from dispatch.models.outbox import OutboxMessage
from dispatch.models.plans import Override, Plan


def _task_routes(plan):
    return {
        r["agent_id"]: [s["task_key"] for s in r["stops"] if s["task_key"]] for r in plan["routes"]
    }


def test_move_that_breaks_a_window_is_rejected_with_violations(client, auth, planned):
    """Dragging a car-only task onto a motorbike is refused and lists the violations."""
    pid = planned["id"]
    problem = client.get(f"/api/plans/{pid}/problem", headers=auth("dispatcher")).get_json()
    car_tasks = [
        s["pickup"]["description"].split("#")[0]
        for s in problem["shipments"]
        if 1 in s.get("skills", [])
    ]
    bikes = [v["id"] for v in problem["vehicles"] if v["profile"] == "motorbike"]
    routes = _task_routes(planned)
    planned_car = [t for t in car_tasks if any(t in keys for keys in routes.values())]
    assert planned_car and bikes, "the demo township has county runs and motorbikes"
    agent_of_vehicle = {r["vehicle_id"]: r["agent_id"] for r in planned["routes"]}
    bike_agent = next((agent_of_vehicle[v] for v in bikes if v in agent_of_vehicle), None)
    if bike_agent is None:  # no bike has a route: find a bike agent from the agents list
        agents = client.get("/api/agents/?page_size=50", headers=auth("dispatcher")).get_json()
        bike_agent = next(a["id"] for a in agents if a["level"] == "village")
    resp = client.post(
        f"/api/plans/{pid}/moves",
        headers=auth("dispatcher"),
        json={"task_key": planned_car[0], "agent_id": bike_agent, "position": 0},
    )
    assert resp.status_code == 409, resp.get_json()
    body = resp.get_json()
    assert body["violations"] and any("skill" in v["code"] for v in body["violations"])
    forced = client.post(
        f"/api/plans/{pid}/moves",
        headers=auth("dispatcher"),
        json={
            "task_key": planned_car[0],
            "agent_id": bike_agent,
            "position": 0,
            "force": True,
            "note": "test override",
        },
    )
    assert forced.status_code == 201 and forced.get_json()["overridden"] is True
    overrides = client.get(f"/api/plans/{pid}/overrides", headers=auth("dispatcher")).get_json()
    assert any(o["forced"] and o["task_key"] == planned_car[0] for o in overrides)


def test_pin_to_agent_without_a_car_is_a_422(client, auth, planned):
    """Pinning a car-only task to a motorbike agent is refused with the reason."""
    pid = planned["id"]
    problem = client.get(f"/api/plans/{pid}/problem", headers=auth("dispatcher")).get_json()
    car_task = next(
        s["pickup"]["description"].split("#")[0]
        for s in problem["shipments"]
        if 1 in s.get("skills", [])
    )
    agents = client.get("/api/agents/?page_size=50", headers=auth("dispatcher")).get_json()
    bike_agent = next(a["id"] for a in agents if a["level"] == "village")
    resp = client.post(
        f"/api/plans/{pid}/overrides",
        headers=auth("dispatcher"),
        json={"kind": "pin", "task_key": car_task, "agent_id": bike_agent},
    )
    assert resp.status_code == 422
    assert "car" in resp.get_json()["message"]


def test_absent_agent_stops_go_to_others_and_only_changed_agents_are_told(
    client, auth, planned, app
):
    """After an agent drops out, their tasks are on other routes and they are not on any."""
    routes = _task_routes(planned)
    sick, their_tasks = max(routes.items(), key=lambda kv: len(kv[1]))
    with app.app_context():
        before = {m.id for m in db.session.query(OutboxMessage)}
    resp = client.post(
        f"/api/plans/{planned['id']}/absences",
        headers=auth("dispatcher"),
        json={"agent_id": sick, "reason": "发烧 / fever"},
    )
    assert resp.status_code == 201, resp.get_json()
    result = resp.get_json()
    new = client.get(f"/api/plans/{result['plan_id']}", headers=auth("dispatcher")).get_json()
    assert new["status"] == "published" and new["version"] > planned["version"]
    new_routes = _task_routes(new)
    assert sick not in new_routes
    moved = [t for t in their_tasks if any(t in keys for keys in new_routes.values())]
    unassigned = {u["task_key"] for u in new["summary"]["unassigned"]}
    assert set(their_tasks) <= set(moved) | unassigned
    changed = {a for a in set(routes) | set(new_routes) if routes.get(a) != new_routes.get(a)}
    assert set(result["notified_agents"]) == changed
    with app.app_context():
        fresh = [
            m
            for m in db.session.query(OutboxMessage)
            if m.id not in before and m.recipient_kind == "agent"
        ]
    assert {m.recipient_id for m in fresh} == changed
    assert all(m.data["plan_version"] == new["version"] for m in fresh)


def test_a_pin_is_lifted_and_a_pin_to_an_absent_agent_is_refused(client, auth, planned, app):
    """A lifted pin leaves the day's overrides (lifting it twice is a 404); while an agent is
    marked absent, pinning a task to them is a 422 naming the agent."""
    pid = planned["id"]
    agent, keys = max(_task_routes(planned).items(), key=lambda kv: len(kv[1]))
    key = keys[0]
    resp = client.post(
        f"/api/plans/{pid}/overrides",
        headers=auth("dispatcher"),
        json={"kind": "pin", "task_key": key, "agent_id": agent},
    )
    assert resp.status_code == 201, resp.get_json()
    pin = resp.get_json()["id"]
    lift = client.delete(f"/api/plans/{pid}/overrides/{pin}", headers=auth("dispatcher"))
    assert lift.status_code == 204
    overrides = client.get(f"/api/plans/{pid}/overrides", headers=auth("dispatcher")).get_json()
    assert pin not in {o["id"] for o in overrides}
    again = client.delete(f"/api/plans/{pid}/overrides/{pin}", headers=auth("dispatcher"))
    assert again.status_code == 404 and str(pin) in again.get_json()["message"]
    with app.app_context():
        absence = Override(
            township_id=db.session.get(Plan, pid).township_id,
            day=date.fromisoformat(planned["day"]),
            kind="absent",
            agent_id=agent,
            detail={"reason": "test"},
        )
        db.session.add(absence)
        db.session.commit()
        absence_id = absence.id
    refused = client.post(
        f"/api/plans/{pid}/overrides",
        headers=auth("dispatcher"),
        json={"kind": "pin", "task_key": key, "agent_id": agent},
    )
    assert refused.status_code == 422, refused.get_json()
    assert "absent" in refused.get_json()["message"] and "agent_id" in refused.get_json()["errors"]
    assert (
        client.delete(f"/api/plans/{pid}/overrides/{absence_id}", headers=auth("dispatcher"))
    ).status_code == 204


def test_a_locked_route_survives_a_replan_in_its_order(client, auth, planned):
    """Locking a route that holds shipments (each task listed once per stop) and re-planning
    keeps that agent's stops first, in the same order; it used to fail with a 500."""
    pid = planned["id"]
    by_agent = {
        r["agent_id"]: [(s["task_key"], s["kind"]) for s in r["stops"] if s["task_key"]]
        for r in planned["routes"]
    }
    agent, stops = max(by_agent.items(), key=lambda kv: len(kv[1]))
    assert len({k for k, _ in stops}) < len(stops), "the route should hold a shipment"
    resp = client.post(
        f"/api/plans/{pid}/overrides",
        headers=auth("dispatcher"),
        json={"kind": "lock", "task_key": stops[0][0], "agent_id": agent},
    )
    assert resp.status_code == 201, resp.get_json()
    resp = client.post(f"/api/plans/{pid}/replan", headers=auth("dispatcher"), json={})
    assert resp.status_code == 201, resp.get_json()
    new = client.get(f"/api/plans/{resp.get_json()['plan_id']}", headers=auth("dispatcher"))
    route = next(r for r in new.get_json()["routes"] if r["agent_id"] == agent)
    kept = [(s["task_key"], s["kind"]) for s in route["stops"] if s["task_key"]]
    assert kept[: len(stops)] == stops


def test_a_move_that_would_leave_a_planned_task_unserved_is_a_violation():
    """A task on the plan's routes that the moved routes do not serve is reported, never lost
    silently (it would be, if a stop could not be matched to its routing task)."""
    from dispatch.planning.manual import _dropped
    from dispatch.planning.tasks import Place, TaskSpec

    here = Place(116.37, 23.55, "centre")
    task_of = {
        1: (TaskSpec("collect:a", "a", here, "collect"), "job"),
        2: (TaskSpec("collect:b", "b", here, "collect"), "job"),
    }
    problem = routing.Problem(
        vehicles=(routing.Vehicle(7, start=(116.37, 23.55), end=(116.37, 23.55)),),
        jobs=tuple(routing.Job(i, (116.37 + i / 100, 23.55)) for i in task_of),
    )
    served_one = routing.evaluate(problem, {7: [1]})
    orders = {3: [("collect:a", "job"), ("collect:b", "job"), ("done:c", "job")]}
    assert [v["code"] for v in _dropped(task_of, orders, served_one)] == ["task_dropped"]
    assert "collect:b" in _dropped(task_of, orders, served_one)[0]["message"]
    assert _dropped(task_of, orders, routing.evaluate(problem, {7: [1, 2]})) == []
