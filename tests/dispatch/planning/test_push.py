"""Publishing reaches phones: the real firebase-admin SDK against the stand-in FCM server."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from dispatch.extensions import db
from dispatch.models.outbox import Device, OutboxMessage
from dispatch.outbox_sender import SqlOutboxStore
from notifications.channels import LogChannel
from notifications.outbox import Sender
from tests.notifications.fake_fcm import started_fake_fcm


@pytest.fixture()
def fcm(tmp_path):
    from notifications.channels.fcm import FcmChannel, FcmConfig

    server, account = started_fake_fcm(tmp_path / "sa.json")
    channel = FcmChannel(
        FcmConfig(
            credentials_file=str(account.path),
            fcm_url=server.fcm_url,
            sdk_retries=0,
            sdk_backoff_factor=0.0,
        )
    )
    yield server, channel
    channel.close()
    server.stop()


def _drain(app, channels, ack_timeout=None):
    with app.app_context():
        sender = Sender(ack_timeout=ack_timeout, quiet_hours=None)
        report = sender.drain(SqlOutboxStore(db.session), channels)
        db.session.remove()
        return report


@pytest.fixture()
def first_plan(client, auth, work_day, app):
    """The first published plan of a township no other test plans (揭西县 龙潭镇)."""
    app.config["JOBS_EAGER"] = True
    resp = client.post(
        "/api/plans/",
        json={"township": "445222102000", "day": work_day.isoformat()},
        headers=auth("admin"),
    )
    job = client.get(f"/api/jobs/{resp.get_json()['id']}", headers=auth("admin")).get_json()
    assert job["status"] == "done", job
    return client.get(
        f"/api/plans/{job['result']['plan_ids'][0]}", headers=auth("admin")
    ).get_json()


def test_publish_sends_one_push_per_affected_agent(app, client, auth, first_plan, fcm):
    """Each agent with a route gets exactly one push carrying the plan version and message id."""
    server, channel = fcm
    planned = first_plan
    assert planned["version"] == 1 and planned["routes"]
    agents = [r["agent_id"] for r in planned["routes"]]
    with app.app_context():
        for agent_id in agents:
            db.session.add(
                Device(agent_id=agent_id, token=f"tok-{agent_id}-abcdefgh", platform="android")
            )
        db.session.commit()
        plan_msgs = [
            m.id
            for m in db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.recipient_kind == "agent")
            )
            if m.data.get("plan_id") == planned["id"]
        ]
    assert len(plan_msgs) == len(agents)
    report = _drain(app, {"push": channel, "sms": LogChannel("sms"), "log": LogChannel()})
    assert report.sent >= len(agents)
    state = server.snapshot()
    delivered = [m for m in state.accepted if m["data"].get("message_id") in plan_msgs]
    assert sorted(m["token"] for m in delivered) == sorted(f"tok-{a}-abcdefgh" for a in agents)
    assert all(json.loads(m["data"]["plan_version"]) == planned["version"] for m in delivered)
    with app.app_context():
        rows = [db.session.get(OutboxMessage, mid) for mid in plan_msgs]
        assert all(r.status == "sent" and r.provider_message_id for r in rows)


def test_dead_token_is_pruned_and_unacked_push_falls_back_to_sms(app, client, auth, fcm):
    """UNREGISTERED removes the token; a push nobody acknowledged is followed by an SMS."""
    server, channel = fcm
    resp = client.post(
        "/api/devices/",
        headers=auth("agent"),
        json={"token": "dead-token-0123456789", "platform": "android", "app_version": "1.0"},
    )
    assert resp.status_code == 201, resp.get_json()
    agent_id = resp.get_json()["agent_id"]
    with app.app_context():  # other suites register tokens too; this phone is the only one
        db.session.execute(
            delete(Device).where(
                Device.agent_id == agent_id, Device.token != "dead-token-0123456789"
            )
        )
        db.session.commit()
    server.fail_token("dead-token-0123456789", "unregistered")
    with app.app_context():
        from dispatch.models import outbox

        acked = outbox.enqueue(
            db.session,
            "route_changed",
            "push",
            "agent",
            agent_id,
            phone="13800138000",
            variables={"plan_date": "2026-12-01", "plan_version": 2, "changes": "+1"},
        )
        ignored = outbox.enqueue(
            db.session,
            "route_changed",
            "push",
            "agent",
            agent_id,
            phone="13800138000",
            variables={"plan_date": "2026-12-01", "plan_version": 3, "changes": "+1"},
        )
        db.session.commit()
        acked_id, ignored_id = acked.id, ignored.id
    channels = {"push": channel, "sms": LogChannel("sms"), "log": LogChannel()}
    _drain(app, channels)
    with app.app_context():
        assert (
            db.session.scalar(select(Device).where(Device.token == "dead-token-0123456789")) is None
        )
        # The token was dead, so the pushes failed for good and SMS fallbacks were queued.
        fallbacks = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.fallback_of.in_([acked_id, ignored_id]))
        ).all()
        assert {f.channel for f in fallbacks} == {"sms"}
    ack = client.post(f"/api/notifications/{acked_id}/ack", headers=auth("agent"))
    assert ack.status_code == 200 and ack.get_json()["acked_at"]


def test_unacknowledged_push_gets_an_sms_after_the_timeout(app, client, auth, fcm):
    """A delivered push that the app never acknowledged is followed by one SMS."""
    server, channel = fcm
    resp = client.post(
        "/api/devices/",
        headers=auth("agent"),
        json={"token": "live-token-0123456789", "platform": "android"},
    )
    agent_id = resp.get_json()["agent_id"]
    with app.app_context():
        from dispatch.models import outbox

        msgs = [
            outbox.enqueue(
                db.session,
                "plan_published",
                "push",
                "agent",
                agent_id,
                phone="13800138000",
                variables={"plan_date": "2026-12-01", "plan_version": 1, "stop_count": 3},
            )
            for _ in range(2)
        ]
        db.session.commit()
        ids = [m.id for m in msgs]
    channels = {"push": channel, "sms": LogChannel("sms"), "log": LogChannel()}
    _drain(app, channels, ack_timeout=timedelta(hours=1))
    assert client.post(f"/api/notifications/{ids[0]}/ack", headers=auth("agent")).status_code == 200
    _drain(app, channels, ack_timeout=timedelta(seconds=0))
    with app.app_context():
        fallbacks = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.fallback_of.in_(ids))
        ).all()
        assert [f.fallback_of for f in fallbacks] == [ids[1]]
        assert fallbacks[0].status == "sent"
