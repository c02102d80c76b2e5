"""A seeded demo case, delivered, rated by its SMS link, its 差评 carried to closure by role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.cases import Case, HolderKind, Status
from dispatch.models.outbox import OutboxMessage
from dispatch.models.ratings import Rating, Rectification
from dispatch.models.regions import Region
from dispatch.models.users import User
from dispatch.services import cases
from dispatch.services.ratings import apply_default_ratings
from dispatch.services.rectification import flag_overdue
from dispatch.setup.demo import DEMO_TOWNSHIP
from dispatch.workdays import cst_date, working_days_between

from ..supervision_data import deliver_case, sms_link

_taken: set[int] = set()


def _demo_case(app) -> tuple[int, int]:
    """A seeded case of the demo township, decided or returning, held by a centre; its applicant."""
    with app.app_context():
        case = db.session.scalar(
            select(Case)
            .join(Case.village)
            .where(
                Region.code.like(f"{DEMO_TOWNSHIP[:9]}%"),
                Case.status.in_([Status.DECIDED, Status.RETURNING]),
                Case.holder_kind == HolderKind.CENTRE,
                Case.reference.like("DB%"),
                Case.id.not_in(_taken or {0}),
            )
            .order_by(Case.id)
        )
        assert case is not None, "the demo seeds decided cases in its township"
        _taken.add(case.id)
        out = (case.id, case.applicant_id)
        db.session.remove()
    return out


def _agent_of(app, username: str) -> int:
    with app.app_context():
        agent_id = db.session.scalar(select(User.agent_id).where(User.username == username))
        db.session.remove()
    assert agent_id
    return agent_id


def _hand(client, headers, case_id: int, kind: str, ref: int) -> None:
    resp = client.post(
        f"/api/cases/{case_id}/custody",
        json={"to_kind": kind, "to_id": ref, "lon": 116.3, "lat": 23.5},
        headers=headers,
    )
    assert resp.status_code == 201, resp.get_json()


def test_demo_case_rated_by_link_and_its_bad_rating_closed(app, client, auth):
    """Delivered by the demo agent; 非常不满意 by the link; township verifies, rectifies and
    calls back (the villager's SMS); the agent appeals; the county removes it, saying why."""
    disp, county, agent, staff = auth("dispatcher"), auth("county"), auth("agent"), auth("staff")
    case_id, applicant_id = _demo_case(app)
    _hand(client, disp, case_id, "agent", _agent_of(app, "agent"))
    _hand(client, disp, case_id, "applicant", applicant_id)
    assert client.get(f"/api/cases/{case_id}", headers=disp).get_json()["status"] == "delivered"

    token = urlparse(sms_link(app, case_id)).path.removeprefix("/rate/")
    page = client.get(f"/rate/{token}")
    assert page.status_code == 200 and "服务评价" in page.get_data(as_text=True)
    body = {"token": token, "level": "very_dissatisfied", "tags": ["时效"], "comment": "等太久"}
    rated = client.post("/api/public/ratings", json=body)
    assert rated.status_code == 201 and rated.get_json()["bad"] is True

    queue = client.get("/api/ratings/rectifications?open=true", headers=county).get_json()
    rect = next(r for r in queue if r["rating"]["case_id"] == case_id)
    opened = datetime.fromisoformat(rect["opened_at"])
    due = datetime.fromisoformat(rect["verify_due"]).date()
    assert working_days_between(cst_date(opened), due) == 5
    assert rect["overdue"] is False and rect["flagged_at"] is None
    base = f"/api/ratings/rectifications/{rect['id']}"
    steps = [
        ("verification", {"finding": "true", "note": "送达比承诺晚两天"}),
        ("measures", {"measures": "代办员补办加急流程，中心通报批评"}),
        ("callback", {"outcome": "satisfied", "note": "电话回访，村民认可"}),
    ]
    for step, data in steps:
        for other in (county, agent, staff):  # not theirs: the township does each step
            assert client.post(f"{base}/{step}", json=data, headers=other).status_code == 403
        resp = client.post(f"{base}/{step}", json=data, headers=disp)
        assert resp.status_code == 200, resp.get_json()
    closed = resp.get_json()
    assert closed["status"] == "closed" and closed["callback_by_id"] == closed["verified_by_id"]
    assert all(closed[k] for k in ("verified_at", "rectified_at", "callback_at"))
    with app.app_context():
        told = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "rating_result",
                OutboxMessage.recipient_id == applicant_id,
            )
        ).all()
        assert [m.channel for m in told] == ["sms"] and "属实" in told[0].variables["result"]
        db.session.remove()

    appeal = client.post(
        f"/api/ratings/{closed['rating']['id']}/appeals",
        json={"reason": "延误在县局审批，不在代办员"},
        headers=agent,
    ).get_json()
    filed = datetime.fromisoformat(appeal["filed_at"])
    decide_due = datetime.fromisoformat(appeal["decide_due"]).date()
    assert working_days_between(cst_date(filed), decide_due) == 5
    assert appeal["overdue"] is False
    pending = client.get("/api/ratings/appeals?pending=true", headers=county).get_json()
    assert appeal["id"] in [a["id"] for a in pending]
    decision = {"decision": "removed", "reason": "县局审批超时，非代办员责任"}
    path = f"/api/ratings/appeals/{appeal['id']}/decision"
    assert client.post(path, json=decision, headers=disp).status_code == 403
    assert client.post(path, json=decision, headers=county).get_json()["status"] == "removed"
    rows = client.get("/api/ratings/?bad_only=true", headers=disp).get_json()
    removed = next(r for r in rows if r["case_id"] == case_id)
    assert removed["removed_reason"] == decision["reason"] and removed["removed_at"]
    # The rated agent sees the outcome, not who rated.
    mine = next(
        r for r in client.get("/api/ratings/", headers=agent).get_json() if r["id"] == removed["id"]
    )
    assert "applicant_name" not in mine and mine["removed_reason"] == decision["reason"]


def test_demo_delivery_unanswered_for_seven_days_is_basic(app, client, world):
    """A demo case delivered 8 natural days ago and never rated becomes 基本满意 by the job;
    its link then answers 409 (一事一评)."""
    case_id, applicant_id = _demo_case(app)
    past = datetime.now(UTC) - timedelta(days=8)
    with app.app_context():
        case = db.session.get(Case, case_id)
        cases.hand_over(db.session, world.scope, case, "agent", world.home.agent, at=past)
        cases.hand_over(db.session, world.scope, case, "applicant", applicant_id, at=past)
        db.session.remove()
        assert apply_default_ratings(db.session) >= 1
        rating = db.session.scalar(select(Rating).where(Rating.case_id == case_id))
        assert rating is not None and (rating.level, rating.source) == (3, "default")
        db.session.remove()
    token = urlparse(sms_link(app, case_id)).path.removeprefix("/rate/")
    late = client.post("/api/public/ratings", json={"token": token, "level": "satisfied"})
    assert late.status_code == 409


def test_overdue_rectifications_are_flagged_once_per_step(app, client, auth, world):
    """The daily job flags a 差评 past its verification day, and again past its close day;
    the township and the county both see the flag; running it twice flags nothing new."""
    case_id = deliver_case(app, world.scope, world.home.village, world.home.agent)
    token = urlparse(sms_link(app, case_id)).path.removeprefix("/rate/")
    resp = client.post("/api/public/ratings", json={"token": token, "level": "dissatisfied"})
    assert resp.status_code == 201
    with app.app_context():
        rect = db.session.scalar(
            select(Rectification).join(Rectification.rating).where(Rating.case_id == case_id)
        )
        assert rect is not None
        verify_due, close_due, rect_id = rect.verify_due, rect.close_due, rect.id
        db.session.remove()
        day = timedelta(days=1)
        flag_overdue(db.session)
        assert _flag_of(rect_id) is None  # not late yet
        late_verify = datetime(verify_due.year, verify_due.month, verify_due.day, 4, tzinfo=UTC)
        assert flag_overdue(db.session, now=late_verify + day) >= 1
        assert _flag_of(rect_id) == "verify"
        assert flag_overdue(db.session, now=late_verify + day) == 0
        late_close = datetime(close_due.year, close_due.month, close_due.day, 4, tzinfo=UTC)
        flag_overdue(db.session, now=late_close + day)
        assert _flag_of(rect_id) == "close"
        db.session.remove()
    for who in ("dispatcher", "county"):
        rows = client.get("/api/ratings/rectifications?open=true", headers=auth(who)).get_json()
        row = next(r for r in rows if r["id"] == rect_id)
        assert row["flagged_stage"] == "close" and row["flagged_at"]


def _flag_of(rect_id: int) -> str | None:
    rect = db.session.get(Rectification, rect_id)
    assert rect is not None
    stage = rect.flagged_stage
    db.session.remove()
    return stage
