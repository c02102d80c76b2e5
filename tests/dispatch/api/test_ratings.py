"""好差评 from the SMS link: signed, case-bound, one rating a case, shielded from the agent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from dispatch.extensions import db, limiter
from dispatch.models.ratings import Rating, Rectification
from dispatch.services.rating_tokens import make_token
from dispatch.services.ratings import apply_default_ratings
from dispatch.workdays import cst_date, working_days_between

from ..supervision_data import deliver_case, sms_link


def _token(app, case_id: int) -> str:
    link = sms_link(app, case_id)
    path = urlparse(link).path
    assert path.startswith("/rate/"), link
    return path.removeprefix("/rate/")


@pytest.fixture()
def delivered(app, world):
    return deliver_case(app, world.scope, world.home.village, world.home.agent)


def test_sms_link_opens_the_rating_page_and_rates_once(app, client, delivered, world):
    """The delivery SMS carries /rate/<token>; the page answers; a second rating is a 409."""
    token = _token(app, delivered)
    page = client.get(f"/rate/{token}")
    assert page.status_code == 200
    assert "服务评价" in page.get_data(as_text=True)
    info = client.get(f"/api/public/ratings/{token}").get_json()
    assert info["rated"] is False and info["centre"].endswith("政务服务中心")
    assert [lv["zh"] for lv in info["levels"]] == [
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
    ]
    body = {"token": token, "level": "satisfied", "tags": ["态度", "时效"], "comment": "很好"}
    first = client.post("/api/public/ratings", json=body)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["bad"] is False
    again = client.post("/api/public/ratings", json=body | {"level": "very_dissatisfied"})
    assert again.status_code == 409
    assert "一事一评" in again.get_json()["message"]
    assert client.get(f"/api/public/ratings/{token}").get_json()["rated"] is True
    with app.app_context():
        rating = db.session.scalar(select(Rating).where(Rating.case_id == delivered))
        assert (rating.level, rating.source, rating.agent_id) == (4, "sms", world.home.agent)
        assert rating.tags == ["态度", "时效"]
        db.session.remove()


@pytest.mark.parametrize(
    "token",
    ["nonsense", "1-d.AAAAAAAAAAAAAAAAAAAAAAAAAAA", "", "99999999-d"],
)
def test_forged_or_mangled_tokens_are_404(client, token):
    """A token not signed by the server is the same 404, whatever its shape."""
    resp = client.post("/api/public/ratings", json={"token": token or "x", "level": "satisfied"})
    assert resp.status_code == 404
    assert "评价链接无效" in resp.get_json()["message"]


def test_token_is_bound_to_its_case(app, client, world, delivered):
    """A valid token for another, undelivered case cannot rate this one: it names its case."""
    other = world.home.case  # registered, not delivered
    with app.app_context():
        token = make_token(app.config["SECRET_KEY"], other)
    resp = client.post("/api/public/ratings", json={"token": token, "level": "satisfied"})
    assert resp.status_code == 409
    assert "尚未送达" in resp.get_json()["message"]
    with app.app_context():
        assert db.session.scalar(select(Rating).where(Rating.case_id == other)) is None
        db.session.remove()


def test_bad_level_and_tag_are_422(app, client, delivered):
    token = _token(app, delivered)
    assert (
        client.post("/api/public/ratings", json={"token": token, "level": "ok"}).status_code == 422
    )
    resp = client.post(
        "/api/public/ratings", json={"token": token, "level": "satisfied", "tags": ["价格"]}
    )
    assert resp.status_code == 422


def test_a_bad_rating_opens_a_rectification_due_in_working_days(app, client, delivered):
    """非常不满意 is a 差评: a rectification opens with its verification due in 5 working days."""
    token = _token(app, delivered)
    resp = client.post("/api/public/ratings", json={"token": token, "level": "very_dissatisfied"})
    assert resp.status_code == 201 and resp.get_json()["bad"] is True
    with app.app_context():
        rect = db.session.scalar(
            select(Rectification).join(Rectification.rating).where(Rating.case_id == delivered)
        )
        assert rect is not None and rect.status == "open"
        assert working_days_between(cst_date(rect.opened_at), rect.verify_due) == 5
        db.session.remove()


def test_the_rated_agent_never_sees_who_rated(app, client, auth, world, delivered):
    """The agent's list has the level and comment, not the case, the reference or the name."""
    token = _token(app, delivered)
    client.post("/api/public/ratings", json={"token": token, "level": "basic", "comment": "一般"})
    mine = client.get("/api/ratings/", headers=auth("agent")).get_json()
    assert mine, "the demo agent delivered this case"
    assert all(
        not ({"case_id", "reference", "applicant_name", "delivered_at"} & set(r)) for r in mine
    )
    township = client.get("/api/ratings/", headers=auth("dispatcher")).get_json()
    row = next(r for r in township if r["case_id"] == delivered)
    assert row["applicant_name"] == "测试村民" and row["level_zh"] == "基本满意"


def test_staff_record_a_callback_rating(client, auth, delivered):
    """Village staff record a rating taken by telephone; 一事一评 holds across sources."""
    body = {"case_id": delivered, "level": "very_satisfied", "source": "callback"}
    resp = client.post("/api/ratings/", json=body, headers=auth("staff"))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["source"] == "callback"
    assert client.post("/api/ratings/", json=body, headers=auth("staff")).status_code == 409
    assert client.post("/api/ratings/", json=body, headers=auth("agent")).status_code == 403


def test_silence_for_seven_days_counts_as_basic(app, world):
    """A delivery 8 days ago with no answer becomes 基本满意; running the job again adds none."""
    old = deliver_case(
        app,
        world.scope,
        world.home.village,
        world.home.agent,
        delivered_at=datetime.now(UTC) - timedelta(days=8),
    )
    fresh = deliver_case(
        app,
        world.scope,
        world.home.village,
        world.home.agent,
        delivered_at=datetime.now(UTC) - timedelta(days=6),
    )
    with app.app_context():
        assert apply_default_ratings(db.session) >= 1
        assert apply_default_ratings(db.session) == 0
        got = {
            r.case_id: r
            for r in db.session.scalars(select(Rating).where(Rating.case_id.in_([old, fresh])))
        }
        assert set(got) == {old} and (got[old].level, got[old].source) == (3, "default")
        assert got[old].bad is False
        db.session.remove()


def test_public_ratings_are_rate_limited(app, client, delivered):
    """Like the public look-up (20 a minute): the 21st answer is a 429 with Retry-After."""
    token = _token(app, delivered)
    limiter.reset()
    app.config["RATE_LIMITS_ON"] = True
    try:
        codes = [client.get(f"/api/public/ratings/{token}").status_code for _ in range(21)]
        body = {"token": token, "level": "satisfied"}
        posts = [client.post("/api/public/ratings", json=body) for _ in range(21)]
    finally:
        app.config["RATE_LIMITS_ON"] = False
        limiter.reset()
    assert set(codes[:20]) == {200} and codes[20] == 429
    assert [p.status_code for p in posts[:2]] == [201, 409]
    assert posts[20].status_code == 429 and "Retry-After" in posts[20].headers
