"""Plans end to end through the API: job, publish, problem/solution, agent sync, stops."""

from __future__ import annotations

import routing


def test_plan_job_reports_progress_and_publishes(planned):
    """A planning job finishes at 100% and its plan is published with routes."""
    assert planned["status"] == "published"
    assert planned["routes"], "the township has open cases; some agent must get a route"
    assert planned["summary"]["tasks"] >= planned["summary"]["planned"] > 0


def test_problem_and_solution_pass_the_independent_checker(client, auth, planned):
    """The stored VROOM problem and solution round-trip and check clean."""
    pid = planned["id"]
    problem = client.get(f"/api/plans/{pid}/problem", headers=auth("dispatcher")).get_json()
    solution = client.get(f"/api/plans/{pid}/solution", headers=auth("dispatcher")).get_json()
    assert (
        routing.check(routing.problem_from_vroom(problem), routing.solution_from_vroom(solution))
        == []
    )


def test_stops_carry_nav_links_in_the_right_datum(planned):
    """Each task stop has geo (WGS-84), AMap (GCJ-02) and Baidu (BD-09) links."""
    stop = next(s for r in planned["routes"] for s in r["stops"] if s["task_key"])
    nav = stop["nav"]
    assert nav["geo"].startswith(f"geo:{stop['lat']:.6f},{stop['lon']:.6f}")
    glon, glat = (float(x) for x in nav["gcj02"].split(","))
    # GCJ-02 in Guangdong sits a few hundred metres off WGS-84, never on it.
    assert 0.001 < abs(glon - stop["lon"]) + abs(glat - stop["lat"]) < 0.02
    assert f"position={nav['gcj02']}" in nav["amap"]


def test_publishing_twice_is_refused(client, auth, planned):
    """Only a draft can be published; a second publish is a 409."""
    resp = client.post(f"/api/plans/{planned['id']}/publish", headers=auth("dispatcher"))
    assert resp.status_code == 409


def test_other_township_dispatcher_cannot_see_plan(client, auth, planned):
    """A county supervisor elsewhere gets 404, not the plan."""
    resp = client.get(f"/api/plans/{planned['id']}", headers=auth("county"))
    assert resp.status_code == 200  # same county (揭东区): allowed
    resp = client.get(f"/api/plans/{planned['id']}/problem", headers=auth("agent"))
    assert resp.status_code == 403


def test_planning_far_ahead_or_in_the_past_is_refused(client, auth):
    """Days beyond the 60-day horizon or already gone are a 422 naming the day."""
    for day in ("2020-01-06", "2099-06-01"):
        resp = client.post(
            "/api/plans/", json={"township": "445203103000", "day": day}, headers=auth("dispatcher")
        )
        assert resp.status_code == 422 and "day" in resp.get_json()["errors"], day
