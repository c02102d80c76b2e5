"""Overdue rectifications reach the township's dispatchers and the county's supervisors by SMS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.cases import Case
from dispatch.models.outbox import OutboxMessage, OutboxStatus
from dispatch.models.users import User
from dispatch.outbox_sender import SqlOutboxStore
from dispatch.services import ratings, rectification
from dispatch.setup.demo import DEMO_STAFF_PHONES
from notifications.channels import LogChannel
from notifications.outbox import Sender

from ..supervision_data import deliver_case
from .conftest import OTHER_COUNTY_TOWNSHIP


def _ids(app, *usernames):
    with app.app_context():
        rows = db.session.execute(select(User.username, User.id)).all()
        db.session.remove()
    found = dict(rows)
    return [found[u] for u in usernames]


def _alerts(app, rect_id):
    with app.app_context():
        rows = [
            r
            for r in db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "rectification_overdue")
            )
            if r.data.get("rectification_id") == rect_id
        ]
        out = [(r.id, r.recipient_kind, r.recipient_id, r.phone, r.data["stage"]) for r in rows]
        variables = [dict(r.variables) for r in rows]
        db.session.remove()
    return out, variables


def test_staff_phone_is_set_by_the_admin(client, auth):
    """The admin sets a staff member's SMS number; a bad one is a 422; the answer masks it."""
    (uid,) = [
        u["id"]
        for u in client.get("/api/users/", headers=auth("admin")).get_json()
        if u["username"] == "supervisor"
    ]
    bad = client.patch(f"/api/users/{uid}", json={"phone": "12345"}, headers=auth("admin"))
    assert bad.status_code == 422 and "手机号" in bad.get_json()["message"]
    ok = client.patch(f"/api/users/{uid}", json={"phone": "13900000199"}, headers=auth("admin"))
    assert ok.status_code == 200 and ok.get_json()["phone"] == "139****0199"
    assert (
        client.patch(f"/api/users/{uid}", json={"phone": "1"}, headers=auth("county")).status_code
        == 403
    )


def test_an_overdue_flag_texts_the_township_and_the_county(app, client, auth, world):
    """A 差评 never verified is flagged: one SMS to the township's dispatcher and one to 揭东区's
    supervisor, with their phones; none to the city supervisor, to another county's staff or
    to a dispatcher without a phone; nothing personal in the text; a second run sends nothing;
    the close deadline passing sends again; the sender delivers them."""
    admin = auth("admin")
    (city,) = _ids(app, "supervisor")
    client.patch(f"/api/users/{city}", json={"phone": "13900000199"}, headers=admin)
    for name, region, phone in (
        ("alerts-away", OTHER_COUNTY_TOWNSHIP, "13900000198"),
        ("alerts-nophone", world.home.village[:9] + "000", ""),
    ):
        made = client.post(
            "/api/users/",
            json={
                "username": name,
                "password": "alerts-pass-1",
                "role": "dispatcher",
                "region": region,
                "phone": phone,
            },
            headers=admin,
        )
        assert made.status_code == 201, made.get_json()
    past = datetime.now(UTC) - timedelta(days=30)
    case_id = deliver_case(
        app, world.scope, world.home.village, world.home.agent, delivered_at=past
    )
    with app.app_context():
        rating = ratings.record_rating(
            db.session, world.scope, case_id, "very_dissatisfied", "callback", now=past
        )
        rect_id = rating.rectification.id
        verify_due, close_due = rating.rectification.verify_due, rating.rectification.close_due
        db.session.remove()
    dispatcher, county = _ids(app, "dispatcher", "county")
    late_verify = datetime.combine(verify_due + timedelta(days=1), datetime.min.time(), UTC)
    with app.app_context():
        assert rectification.flag_overdue(db.session, now=late_verify) >= 1
        db.session.remove()
    alerts, variables = _alerts(app, rect_id)
    assert sorted((kind, rid, phone, stage) for _, kind, rid, phone, stage in alerts) == sorted(
        [
            ("staff", dispatcher, DEMO_STAFF_PHONES["dispatcher"], "verify"),
            ("staff", county, DEMO_STAFF_PHONES["county"], "verify"),
        ]
    )
    text = repr(variables)
    assert "玉窖镇" in text and str(rect_id) in text and verify_due.isoformat() in text
    with app.app_context():
        villager = db.session.get(Case, case_id).applicant
        name, phone = villager.name, villager.phone
        db.session.remove()
    assert name not in text and phone not in text
    with app.app_context():
        rectification.flag_overdue(db.session, now=late_verify)
        db.session.remove()
    assert len(_alerts(app, rect_id)[0]) == 2
    late_close = datetime.combine(close_due + timedelta(days=1), datetime.min.time(), UTC)
    with app.app_context():
        rectification.flag_overdue(db.session, now=late_close)
        db.session.remove()
    alerts, _ = _alerts(app, rect_id)
    assert sorted(stage for *_, stage in alerts) == ["close", "close", "verify", "verify"]
    sms = LogChannel("sms")
    with app.app_context():
        Sender(quiet_hours=None).drain(
            SqlOutboxStore(db.session), {"sms": sms, "push": LogChannel("push")}
        )
        statuses = {
            r.id: r.status
            for r in db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.id.in_([a[0] for a in alerts]))
            )
        }
        db.session.remove()
    assert set(statuses.values()) == {OutboxStatus.SENT}
    texts = [
        m.text for m in sms.sent if m.kind == "rectification_overdue" and m.message_id in statuses
    ]
    assert len(texts) == 4 and all("整改" in t and "overdue" in t for t in texts)
