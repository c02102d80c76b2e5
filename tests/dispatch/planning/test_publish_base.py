"""Publishing checks its base: a stale draft never replaces a newer published plan."""

from __future__ import annotations

import threading

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.plans import Plan, PlanStatus


def _draft(client, headers, plan_id: int) -> dict:
    resp = client.post(f"/api/plans/{plan_id}/replan", json={"reason": "test"}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _publish(client, headers, plan_id: int):
    return client.post(f"/api/plans/{plan_id}/publish", headers=headers)


def test_a_stale_draft_is_409_naming_both_versions(client, auth, planned):
    """A draft planned from v1 cannot be published over v3; the 409 names both versions."""
    h = auth("dispatcher")
    stale = _draft(client, h, planned["id"])
    newer = _draft(client, h, planned["id"])
    assert _publish(client, h, newer["plan_id"]).status_code == 200
    resp = _publish(client, h, stale["plan_id"])
    assert resp.status_code == 409, resp.get_json()
    body = resp.get_json()
    assert f"v{stale['version']}" in body["message"] and f"v{newer['version']}" in body["message"]
    assert (body["draft_version"], body["published_version"]) == (
        stale["version"],
        newer["version"],
    )
    assert body["base_version"] == planned["version"]
    current = client.get(f"/api/plans/{newer['plan_id']}", headers=h).get_json()
    assert current["status"] == "published"


def test_a_rebase_replans_the_draft_on_the_published_version(client, auth, planned):
    """Rebase makes a new draft from the current version; the stale one can never be
    published, the rebased one can."""
    h = auth("dispatcher")
    stale = _draft(client, h, planned["id"])
    newer = _draft(client, h, planned["id"])
    assert _publish(client, h, newer["plan_id"]).status_code == 200
    resp = client.post(f"/api/plans/{stale['plan_id']}/rebase", headers=h)
    assert resp.status_code == 201, resp.get_json()
    rebased = resp.get_json()
    assert rebased["based_on_version"] == newer["version"]
    assert rebased["rebased_from_version"] == stale["version"]
    assert _publish(client, h, rebased["plan_id"]).status_code == 200
    assert _publish(client, h, stale["plan_id"]).status_code == 409
    again = client.post(f"/api/plans/{rebased['plan_id']}/rebase", headers=h)
    assert again.status_code == 409


def test_two_drafts_published_at_once_have_one_winner(app, auth, planned):
    """Two drafts of one base published in parallel: one 200, one 409, one plan published."""
    h = auth("dispatcher")
    with app.test_client() as c:
        drafts = [_draft(c, h, planned["id"])["plan_id"] for _ in range(2)]
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def attempt(plan_id: int) -> None:
        with app.test_client() as c:
            barrier.wait()
            codes.append(_publish(c, h, plan_id).status_code)

    threads = [threading.Thread(target=attempt, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(codes) == [200, 409], codes
    with app.app_context():
        base = db.session.get(Plan, planned["id"])
        published = db.session.scalars(
            select(Plan).where(
                Plan.township_id == base.township_id,
                Plan.day == base.day,
                Plan.status == PlanStatus.PUBLISHED,
            )
        ).all()
        assert len(published) == 1
        db.session.remove()
