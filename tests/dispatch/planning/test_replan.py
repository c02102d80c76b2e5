"""Re-planning during the day keeps what is done, and urgent cases get in."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

import routing
from dispatch.extensions import db
from dispatch.models.agents import Agent
from dispatch.models.cases import Case, HolderKind, Status
from dispatch.models.centres import CentreKind, ServiceCentre
from dispatch.models.outbox import OutboxMessage
from dispatch.models.plans import Plan, PlanRoute, PlanStop
from dispatch.models.regions import Region
from dispatch.planning.service import _keep_history
from tests.dispatch.api.conftest import register_case_to_collect
from tests.dispatch.planning.conftest import publish_day


def _report_done(client, auth, stop_id: int, tag: str):
    return client.patch(
        f"/api/plans/stops/{stop_id}",
        headers=auth("dispatcher"),
        json={"status": "done", "idempotency_key": f"done-{stop_id}-{tag}"},
    )


def test_done_stops_stay_first_and_are_not_planned_again(client, auth, planned):
    """After a stop is done, a re-plan keeps it first on that route and never repeats it."""
    route = max(planned["routes"], key=lambda r: sum(1 for s in r["stops"] if s["task_key"]))
    first = next(s for s in route["stops"] if s["task_key"])
    resp = _report_done(client, auth, first["id"], "x")
    assert resp.status_code == 200 and resp.get_json()["status"] == "done"
    again = client.patch(
        f"/api/plans/stops/{first['id']}",
        headers=auth("dispatcher"),
        json={"status": "done", "idempotency_key": f"done-{first['id']}-x"},
    )
    assert again.status_code == 200
    resp = client.post(
        f"/api/plans/{planned['id']}/replan", headers=auth("dispatcher"), json={"reason": "test"}
    )
    assert resp.status_code == 201, resp.get_json()
    new = client.get(
        f"/api/plans/{resp.get_json()['plan_id']}", headers=auth("dispatcher")
    ).get_json()
    assert new["status"] == "draft"
    same = next(r for r in new["routes"] if r["agent_id"] == route["agent_id"])
    tasks = [s for s in same["stops"] if s["task_key"]]
    assert tasks[0]["task_key"] == first["task_key"] and tasks[0]["status"] == "done"
    rest = [
        (s["kind"], s["status"])
        for r in new["routes"]
        for s in r["stops"]
        if s["task_key"] == first["task_key"] and s["status"] != "done"
    ]
    # Only a collected shipment's delivery is still to come.
    assert rest == ([("delivery", "planned")] if first["kind"] == "pickup" else [])
    later = [s for s in tasks[1:]]
    assert all(s["arrival"] >= tasks[0]["departure"] for s in later)


def test_urgent_case_is_inserted_and_its_agent_told(client, auth, planned, app):
    """An urgent case not in the plan is placed today and its agent gets an urgent push."""
    with app.app_context():
        case = db.session.scalar(
            select(Case)
            .join(Case.village)
            .where(Region.code.like("445203103%"), Case.status == "registered")
            .order_by(Case.id)
        )
        assert case is not None
        case_id = case.id
    etag = client.get(f"/api/cases/{case_id}", headers=auth("dispatcher")).headers["ETag"]
    resp = client.post(
        f"/api/cases/{case_id}/transitions",
        headers=auth("dispatcher") | {"If-Match": etag},
        json={"to": "materials_checked"},
    )
    assert resp.status_code == 200, resp.get_json()
    resp = client.post(
        f"/api/plans/{planned['id']}/urgent", headers=auth("dispatcher"), json={"case_id": case_id}
    )
    assert resp.status_code == 201, resp.get_json()
    result = resp.get_json()
    assert result["placed"] is True
    with app.app_context():
        urgent = [
            m
            for m in db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "urgent_task")
            )
            if m.data.get("plan_id") == result["plan_id"]
        ]
    assert len(urgent) == 1 and urgent[0].recipient_id in result["notified_agents"]
    assert urgent[0].urgent is True


def test_finishing_a_stop_reminds_the_agent_of_the_next(client, auth, planned, app):
    """Done at one stop: the agent gets a push about the next stop, in the same transaction."""

    def open_tasks(r):
        return [s for s in r["stops"] if s["task_key"] and s["status"] == "planned"]

    route = max(planned["routes"], key=lambda r: len(open_tasks(r)))
    tasks = open_tasks(route)  # earlier tests may have done some stops of this day already
    assert len(tasks) >= 2
    resp = client.patch(
        f"/api/plans/stops/{tasks[0]['id']}", headers=auth("dispatcher"), json={"status": "done"}
    )
    assert resp.status_code == 200
    with app.app_context():
        reminders = [
            m
            for m in db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "next_stop_reminder")
            )
            if m.data.get("stop_id") == tasks[1]["id"]
        ]
    assert len(reminders) == 1 and reminders[0].recipient_id == route["agent_id"]


def test_stops_done_keep_their_order_in_the_next_version():
    """Stops done or under way open the agent's new route, in the order they were served."""
    moment = datetime(2026, 12, 1, 1, tzinfo=UTC)

    def route(*stops: tuple[str, str]) -> PlanRoute:
        return PlanRoute(
            agent_id=7,
            stops=[
                PlanStop(
                    seq=0,
                    kind="job",
                    task_key=key,
                    status=status,
                    lon=116.3,
                    lat=23.5,
                    arrival=moment,
                    departure=moment,
                )
                for key, status in stops
            ],
        )

    old = Plan(routes=[route(("", ""), ("a", "done"), ("b", "done"), ("c", "arrived"), ("d", ""))])
    new = Plan(routes=[route(("", ""), ("d", ""), ("", ""))])
    _keep_history(old, new)
    assert [(s.seq, s.task_key, s.status) for s in new.routes[0].stops] == [
        (0, "", ""),
        (1, "a", "done"),
        (2, "b", "done"),
        (3, "c", "arrived"),
        (4, "d", ""),
        (5, "", ""),
    ]


def test_an_absent_agents_done_stops_stay_in_the_new_version(client, auth, planned):
    """An agent who did a stop and then drops out has no new work, yet the new version still
    shows what they did (it used to vanish, and the task could be planned again)."""
    route = max(planned["routes"], key=lambda r: sum(1 for s in r["stops"] if s["task_key"]))
    first = next(s for s in route["stops"] if s["task_key"])
    resp = _report_done(client, auth, first["id"], "absent")
    assert resp.status_code == 200, resp.get_json()
    resp = client.post(
        f"/api/plans/{planned['id']}/absences",
        headers=auth("dispatcher"),
        json={"agent_id": route["agent_id"], "reason": "发烧 / fever"},
    )
    assert resp.status_code == 201, resp.get_json()
    new = client.get(
        f"/api/plans/{resp.get_json()['plan_id']}", headers=auth("dispatcher")
    ).get_json()
    theirs = [r for r in new["routes"] if r["agent_id"] == route["agent_id"]]
    assert len(theirs) == 1
    stops = [(s["task_key"], s["status"]) for s in theirs[0]["stops"] if s["task_key"]]
    assert (first["task_key"], "done") in stops
    assert {status for _, status in stops} == {"done"}  # nothing new for an absent agent
    # Later tests plan the same day: the agent comes back.
    overrides = client.get(f"/api/plans/{new['id']}/overrides", headers=auth("dispatcher"))
    absence = next(o for o in overrides.get_json() if o["kind"] == "absent")
    lift = client.delete(
        f"/api/plans/{new['id']}/overrides/{absence['id']}", headers=auth("dispatcher")
    )
    assert lift.status_code == 204


def test_a_report_made_while_a_draft_waits_is_carried_into_it(client, auth, planned):
    """The dispatcher drafts a re-plan; meanwhile an agent reports a stop done on the
    published version; publishing the draft keeps that report on the same task's stop."""
    route = max(planned["routes"], key=lambda r: sum(1 for s in r["stops"] if s["task_key"]))
    stop = next(s for s in route["stops"] if s["task_key"] and s["status"] == "planned")
    draft = client.post(
        f"/api/plans/{planned['id']}/replan", headers=auth("dispatcher"), json={"reason": "t"}
    )
    assert draft.status_code == 201, draft.get_json()
    resp = _report_done(client, auth, stop["id"], "while-draft")
    assert resp.status_code == 200, resp.get_json()
    draft_id = draft.get_json()["plan_id"]
    assert (
        client.post(f"/api/plans/{draft_id}/publish", headers=auth("dispatcher")).status_code == 200
    )
    new = client.get(f"/api/plans/{draft_id}", headers=auth("dispatcher")).get_json()
    same = [
        s["status"]
        for r in new["routes"]
        for s in r["stops"]
        if s["task_key"] == stop["task_key"] and s["kind"] == stop["kind"]
    ]
    assert same == ["done"]


def _case_ids(stop: dict) -> set[int]:
    return {c["id"] for c in stop["cases"]}


def _quiet_village(app) -> tuple[str, int]:
    """A village of the dispatcher's township whose room has nothing waiting to be collected
    (earlier tests in the session move the seeded cases), so a collection there is ours; and
    an agent of the township to entrust."""
    with app.app_context():
        busy = set(
            db.session.scalars(
                select(Case.village_id).where(
                    Case.status == Status.MATERIALS_CHECKED,
                    Case.holder_kind.in_([HolderKind.APPLICANT, HolderKind.CENTRE]),
                )
            )
        )
        rooms = db.session.scalars(
            select(Region)
            .join(ServiceCentre, ServiceCentre.region_id == Region.id)
            .where(Region.code.like("445203103%"), ServiceCentre.kind == CentreKind.VILLAGE)
            .order_by(Region.code)
        )
        code = next(r.code for r in rooms if r.id not in busy)
        agent = db.session.scalar(
            select(Agent.id)
            .join(Region, Region.id == Agent.region_id)
            .where(Region.code == "445203103000", Agent.active.is_(True))
            .order_by(Agent.id)
        )
        assert agent is not None
        db.session.remove()
        return code, agent


def _case_to_collect(client, auth, app) -> int:
    """A new agent case, entrusted and checked at a quiet village's room: its documents wait
    for today's collection."""
    village, agent_id = _quiet_village(app)
    return register_case_to_collect(client, auth("dispatcher"), village, agent_id)


def test_what_an_agent_picked_up_is_still_delivered_after_a_replan(client, auth, app, work_day):
    """A pickup done, the documents handed to the agent: every re-plan keeps the delivery on
    that agent's route, after the pickup, with the same cases and no second leg for them, and
    the plan passes the independent checker against the problem it stored."""
    # Its own collection: earlier tests in the session may have moved every seeded case.
    mine = _case_to_collect(client, auth, app)
    planned = publish_day(client, auth, app, work_day)
    picked = [
        (r, s)
        for r in planned["routes"]
        for s in r["stops"]
        if s["kind"] == "pickup" and s["status"] == "planned" and mine in _case_ids(s)
    ]
    assert picked, "the new case's collection is planned for the day"
    route, pickup = picked[0]
    key, cases = pickup["task_key"], _case_ids(pickup)
    assert _report_done(client, auth, pickup["id"], "carry").status_code == 200
    for cid in cases:  # the agent signs for the documents (交接单): the cases are WITH_AGENT
        resp = client.post(
            f"/api/cases/{cid}/custody",
            headers=auth("dispatcher"),
            json={"to_kind": "agent", "to_id": route["agent_id"]},
        )
        assert resp.status_code == 201, resp.get_json()
    plan_id = planned["id"]
    for attempt in ("first", "second"):  # the second re-plans a plan that already carries it
        resp = client.post(
            f"/api/plans/{plan_id}/replan", headers=auth("dispatcher"), json={"reason": attempt}
        )
        assert resp.status_code == 201, resp.get_json()
        plan_id = resp.get_json()["plan_id"]
        new = client.get(f"/api/plans/{plan_id}", headers=auth("dispatcher")).get_json()
        legs = [
            (r["agent_id"], s["kind"], s["status"], s["seq"])
            for r in new["routes"]
            for s in r["stops"]
            if s["task_key"] == key
        ]
        assert [leg[:3] for leg in legs] == [
            (route["agent_id"], "pickup", "done"),
            (route["agent_id"], "delivery", "planned"),
        ], attempt
        assert legs[0][3] < legs[1][3]
        carrying = [
            s for r in new["routes"] for s in r["stops"] if s["status"] != "done" and s["cases"]
        ]
        holders = [s["task_key"] for s in carrying if _case_ids(s) & cases]
        assert holders == [key], attempt  # not also a drop:agent leg for the same documents
        problem = client.get(f"/api/plans/{plan_id}/problem", headers=auth("dispatcher"))
        solution = client.get(f"/api/plans/{plan_id}/solution", headers=auth("dispatcher"))
        assert (
            routing.check(
                routing.problem_from_vroom(problem.get_json()),
                routing.solution_from_vroom(solution.get_json()),
            )
            == []
        )
        job = next(j for j in problem.get_json()["jobs"] if j["description"] == key)
        assert job["delivery"][0] == len(cases)  # on board from the start of the route
    # Dragged to the front of the same route by the dispatcher, it is still delivered.
    moved = client.post(
        f"/api/plans/{plan_id}/moves",
        headers=auth("dispatcher"),
        json={"task_key": key, "agent_id": route["agent_id"], "position": 0},
    )
    assert moved.status_code == 201, moved.get_json()
    plan_id = moved.get_json()["plan_id"]
    after = client.get(f"/api/plans/{plan_id}", headers=auth("dispatcher")).get_json()
    kept = [
        (r["agent_id"], s["kind"], s["status"])
        for r in after["routes"]
        for s in r["stops"]
        if s["task_key"] == key
    ]
    assert (route["agent_id"], "delivery", "planned") in kept, kept
    publish = client.post(f"/api/plans/{plan_id}/publish", headers=auth("dispatcher"))
    assert publish.status_code == 200, publish.get_json()
