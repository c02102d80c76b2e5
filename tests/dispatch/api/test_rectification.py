"""A 差评 through verification, rectification, call-back and appeal, each by its own role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.outbox import OutboxMessage
from dispatch.models.users import Role, Scope, User
from dispatch.services import ratings, rectification

from ..supervision_data import deliver_case
from .test_ratings import _token


@pytest.fixture()
def bad_rating(app, client, world):
    """A 非常不满意 given by the villager through the SMS link; its rectification's id."""
    case_id = deliver_case(app, world.scope, world.home.village, world.home.agent)
    body = {"token": _token(app, case_id), "level": "very_dissatisfied", "tags": ["上门准时"]}
    assert client.post("/api/public/ratings", json=body).status_code == 201
    return case_id


def _rect(client, headers, case_id):
    rows = client.get("/api/ratings/rectifications", headers=headers).get_json()
    return next(r for r in rows if r["rating"]["case_id"] == case_id)


def _user_id(app, username):
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.username == username))
        db.session.remove()
    return uid


def test_the_whole_sequence_by_role(app, client, auth, bad_rating):
    """Township verifies, rectifies, calls back (SMS out); agent appeals; county removes."""
    disp, county, agent = auth("dispatcher"), auth("county"), auth("agent")
    rect = _rect(client, disp, bad_rating)
    rid, base = rect["id"], f"/api/ratings/rectifications/{rect['id']}"
    assert rect["status"] == "open" and rect["overdue"] is False
    verify = {"finding": "true", "note": "代办员迟到一小时"}
    # Not the township's: the county and the agent may not verify.
    assert client.post(f"{base}/verification", json=verify, headers=county).status_code == 403
    assert client.post(f"{base}/verification", json=verify, headers=agent).status_code == 403
    # Out of order: no measures before the verification.
    early = client.post(f"{base}/measures", json={"measures": "x"}, headers=disp)
    assert early.status_code == 409
    done = client.post(f"{base}/verification", json=verify, headers=disp).get_json()
    assert done["status"] == "verified" and done["finding"] == "true"
    assert done["verified_by_id"] == _user_id(app, "dispatcher") and done["verified_at"]
    measures = {"measures": "约谈代办员，调整上门时段"}
    assert client.post(f"{base}/measures", json=measures, headers=disp).status_code == 200
    back = {"outcome": "satisfied", "note": "村民表示认可"}
    closed = client.post(f"{base}/callback", json=back, headers=disp).get_json()
    assert closed["status"] == "closed" and closed["callback_outcome"] == "satisfied"
    with app.app_context():
        sms = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "rating_result")
        ).all()
        mine = [m for m in sms if m.data.get("rectification_id") == rid]
        assert len(mine) == 1 and mine[0].channel == "sms"
        assert "属实" in mine[0].variables["result"]
        db.session.remove()
    # The rated agent appeals; the dispatcher may not decide, the county does.
    rating_id = closed["rating"]["id"]
    appeal = client.post(
        f"/api/ratings/{rating_id}/appeals", json={"reason": "村民当天改了时间"}, headers=agent
    )
    assert appeal.status_code == 201, appeal.get_json()
    assert appeal.get_json()["filed_as"] == "agent"
    again = client.post(f"/api/ratings/{rating_id}/appeals", json={"reason": "再"}, headers=agent)
    assert again.status_code == 409
    aid = appeal.get_json()["id"]
    decision = {"decision": "removed", "reason": "村民电话改约，记录为证"}
    path = f"/api/ratings/appeals/{aid}/decision"
    assert client.post(path, json=decision, headers=disp).status_code == 403
    decided = client.post(path, json=decision, headers=county)
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["decided_by_id"] == _user_id(app, "county")
    assert client.post(path, json=decision, headers=county).status_code == 409
    rows = client.get("/api/ratings/", headers=disp).get_json()
    removed = next(r for r in rows if r["id"] == rating_id)
    assert removed["removed_at"] and removed["removed_reason"] == "村民电话改约，记录为证"


def test_an_appeal_can_be_upheld(client, auth, bad_rating):
    """The centre (township dispatcher) appeals; the county upholds; the rating stands."""
    disp, county = auth("dispatcher"), auth("county")
    rating_id = _rect(client, disp, bad_rating)["rating"]["id"]
    appeal = client.post(
        f"/api/ratings/{rating_id}/appeals", json={"reason": "恶意差评"}, headers=disp
    ).get_json()
    assert appeal["filed_as"] == "centre"
    resp = client.post(
        f"/api/ratings/appeals/{appeal['id']}/decision",
        json={"decision": "upheld", "reason": "无证据"},
        headers=county,
    )
    assert resp.get_json()["status"] == "upheld"
    rows = client.get("/api/ratings/", headers=disp).get_json()
    assert next(r for r in rows if r["id"] == rating_id)["removed_at"] is None


def test_other_county_sees_nothing(app, client, auth, bad_rating):
    """Scoped to region: 揭西县 sees no rectification of 揭东区; the city supervisor does."""
    city = client.get("/api/ratings/rectifications", headers=auth("supervisor")).get_json()
    assert any(r["rating"]["case_id"] == bad_rating for r in city)
    jiexi = Scope(0, "jiexi", Role.SUPERVISOR, "445222")
    with app.app_context():
        rows = rectification.list_rectifications(db.session, jiexi)
        assert all(r.township_code.startswith("445222") for r in rows)
        assert bad_rating not in [r.rating.case_id for r in rows]
        db.session.remove()


def test_overdue_is_flagged(app, client, auth, world):
    """A 差评 taken 10 days ago and never verified shows as overdue to township and county."""
    past = datetime.now(UTC) - timedelta(days=12)
    case_id = deliver_case(
        app, world.scope, world.home.village, world.home.agent, delivered_at=past
    )
    with app.app_context():
        ratings.record_rating(
            db.session,
            world.scope,
            case_id,
            "dissatisfied",
            "callback",
            now=past + timedelta(days=1),
        )
        db.session.remove()
    for who in ("dispatcher", "county"):
        flagged = client.get("/api/ratings/rectifications?overdue=true", headers=auth(who))
        assert case_id in [r["rating"]["case_id"] for r in flagged.get_json()]
        assert all(r["overdue"] for r in flagged.get_json())


def test_verify_needs_a_note(client, auth, bad_rating):
    rect = _rect(client, auth("dispatcher"), bad_rating)
    resp = client.post(
        f"/api/ratings/rectifications/{rect['id']}/verification",
        json={"finding": "maybe", "note": ""},
        headers=auth("dispatcher"),
    )
    assert resp.status_code == 422
