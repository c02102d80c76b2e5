"""Each use case commits once, in its service; a planning job starts after that commit."""

from __future__ import annotations

from dispatch.extensions import db
from dispatch.jobs import runner
from dispatch.models.plans import Job, Override


def test_a_move_a_lock_and_its_lifting_commit_once_each(client, auth, planned, commits):
    """The manual dispatch of planning.manual only flushes; services.plans commits."""
    pid, h = planned["id"], auth("dispatcher")
    routes = [r for r in planned["routes"] if any(s["task_key"] for s in r["stops"])]
    assert routes, planned["routes"]
    agent = routes[0]["agent_id"]
    task = [s["task_key"] for s in routes[0]["stops"] if s["task_key"]][-1]
    body = {"task_key": task, "agent_id": agent, "position": 0, "force": True}
    resp = client.post(f"/api/plans/{pid}/moves", json=body, headers=h)
    assert resp.status_code == 201, resp.get_json()
    assert len(commits) == 1
    resp = client.post(
        f"/api/plans/{pid}/overrides", json={"kind": "lock", "agent_id": agent}, headers=h
    )
    assert resp.status_code == 201, resp.get_json()
    assert len(commits) == 2
    lock = resp.get_json()["id"]
    resp = client.delete(f"/api/plans/{pid}/overrides/{lock}", headers=h)
    assert resp.status_code in (200, 204), resp.get_json()
    assert len(commits) == 3
    with client.application.app_context():
        assert db.session.get(Override, lock).active is False
        db.session.remove()


def test_a_planning_job_is_committed_once_and_started_after(
    client, auth, app, work_day, commits, monkeypatch
):
    """POST /api/plans/ writes the job in one commit; the runner starts it once committed,
    when another session can already read it."""
    started: list[tuple[str, str, str]] = []
    real = runner._run_in_app

    def start(app_, job_id: str, kind: str) -> None:
        with app_.app_context():
            started.append((job_id, kind, db.session.get(Job, job_id).status))
            db.session.remove()
        real(app_, job_id, kind)

    monkeypatch.setattr(runner, "_run_in_app", start)
    app.config["JOBS_EAGER"] = True
    resp = client.post(
        "/api/plans/",
        json={"township": "445203103000", "day": work_day.isoformat()},
        headers=auth("dispatcher"),
    )
    assert resp.status_code == 202, resp.get_json()
    job_id = resp.get_json()["id"]
    assert started == [(job_id, "plan", "queued")]
    request_session = commits[0]
    assert commits.count(request_session) == 1
    job = client.get(f"/api/jobs/{job_id}", headers=auth("dispatcher")).get_json()
    assert job["status"] == "done" and job["result"]["plan_ids"], job
