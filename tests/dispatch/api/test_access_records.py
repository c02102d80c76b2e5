"""Records of processing (处理活动记录): each whole read is recorded, append-only, and
admins and supervisors read them in their region."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError, SQLAlchemyError

from dispatch.api import disclosures
from dispatch.extensions import db
from dispatch.models.access import AccessRecord, AppendOnly
from dispatch.models.applicants import Applicant
from dispatch.models.outbox import OutboxMessage, OutboxStatus
from dispatch.models.regions import township_code

from .conftest import applicant_body


def _read(client, auth, role, path):
    rid = uuid.uuid4().hex
    resp = client.get(path, headers=auth(role) | {"X-Request-ID": rid})
    return resp, rid


def _records(app, rid):
    with app.app_context():
        rows = db.session.scalars(select(AccessRecord).where(AccessRecord.request_id == rid)).all()
        db.session.remove()
    return rows


def test_staff_read_is_recorded_with_who_whose_what_and_why(app, client, auth, world):
    """Village staff see an applicant whole: one record names them, the person and the fields."""
    resp, rid = _read(client, auth, "staff", f"/api/applicants/{world.home.applicant}")
    assert resp.status_code == 200 and "*" not in resp.get_json()["id_number"]
    [record] = _records(app, rid)
    assert (record.username, record.role) == ("staff", "village_staff")
    assert (record.subject_kind, record.subject_id) == ("applicant", world.home.applicant)
    assert record.region_code == world.home.village
    address = {"address"} if resp.get_json()["address"] else set()
    assert set(record.field_list) == {"id_number", "phone", "home_point"} | address
    assert record.endpoint == f"GET /api/applicants/{world.home.applicant}"
    assert record.purpose == "case_handling"
    assert abs(record.at - datetime.now(UTC)) < timedelta(minutes=5)


def test_masked_read_writes_no_record(app, client, auth, world):
    """A supervisor sees the applicant masked, so nothing is recorded."""
    resp, rid = _read(client, auth, "county", f"/api/applicants/{world.home.applicant}")
    assert resp.status_code == 200 and "*" in resp.get_json()["id_number"]
    assert resp.get_json()["address"] in (None, "")  # hidden; this one is empty anyway
    assert _records(app, rid) == []


def test_list_records_one_row_per_person(app, client, auth):
    """A page of applicants read by a dispatcher: one record per applicant on it."""
    resp, rid = _read(client, auth, "dispatcher", "/api/applicants/?page_size=5")
    shown = {a["id"] for a in resp.get_json()}
    records = _records(app, rid)
    assert {r.subject_id for r in records} == shown
    assert all("id_number" not in r.field_list and "phone" in r.field_list for r in records)


def test_unrecordable_read_is_withheld(client, auth, world, monkeypatch):
    """When the record cannot be written the data is not sent: a 503, no whole ID number."""

    def broken(*args, **kwargs):
        raise SQLAlchemyError("disk full")

    monkeypatch.setattr(disclosures, "record_reads", broken)
    resp = client.get(f"/api/applicants/{world.home.applicant}", headers=auth("admin"))
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    assert set(resp.get_json()) == {"code", "status", "message", "retry_after"}


def test_audit_list_filters_and_scope(client, auth, world):
    """Admins filter by person, user, field and date; a county supervisor sees only theirs."""
    _read(client, auth, "staff", f"/api/applicants/{world.home.applicant}")
    _read(client, auth, "admin", f"/api/applicants/{world.away.applicant}")
    base = "/api/audit/access?page_size=100"
    home = client.get(f"{base}&applicant_id={world.home.applicant}", headers=auth("admin"))
    assert home.status_code == 200 and home.get_json()
    assert {r["subject_id"] for r in home.get_json()} == {world.home.applicant}
    by_staff = client.get(f"{base}&user=staff&field=id_number", headers=auth("admin")).get_json()
    assert by_staff and all(
        r["username"] == "staff" and "id_number" in r["fields"] for r in by_staff
    )
    today = date.today()
    tomorrow = today + timedelta(days=2)
    assert client.get(f"{base}&date_from={tomorrow}", headers=auth("admin")).get_json() == []
    county = client.get(base, headers=auth("county")).get_json()
    assert county and all(r["region_code"].startswith("445203") for r in county)
    away = client.get(f"{base}&applicant_id={world.away.applicant}", headers=auth("county"))
    assert away.get_json() == []
    city = client.get(f"{base}&applicant_id={world.away.applicant}", headers=auth("supervisor"))
    assert city.get_json()


def test_audit_bad_input_and_roles(client, auth):
    """Reversed dates and an unknown field are 422s that say why; a dispatcher is refused."""
    bad = client.get(
        "/api/audit/access?date_from=2026-12-05&date_to=2026-12-01", headers=auth("admin")
    )
    assert bad.status_code == 422 and "date_from" in bad.get_json()["errors"]
    unknown = client.get("/api/audit/access?field=vulnerable", headers=auth("admin"))
    assert unknown.status_code == 422
    assert client.get("/api/audit/access", headers=auth("dispatcher")).status_code == 403


def test_audit_export_is_csv_of_the_same_records(client, auth, world):
    """The export holds the filtered records, with a header row."""
    _read(client, auth, "staff", f"/api/applicants/{world.home.applicant}")
    resp = client.get(
        f"/api/audit/access/export?applicant_id={world.home.applicant}", headers=auth("admin")
    )
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows and {r["subject_id"] for r in rows} == {str(world.home.applicant)}
    assert any(r["username"] == "staff" and "id_number" in r["fields"] for r in rows)


def test_records_are_append_only(app, client, auth, world):
    """No update and no delete: the ORM refuses, and so does the database."""
    _read(client, auth, "staff", f"/api/applicants/{world.home.applicant}")
    with app.app_context():
        record = db.session.scalars(select(AccessRecord).limit(1)).one()
        record.purpose = "changed"
        with pytest.raises(AppendOnly):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(AppendOnly):
            db.session.execute(update(AccessRecord).values(purpose="changed"))
        with pytest.raises(AppendOnly):
            db.session.execute(delete(AccessRecord))
        db.session.rollback()
        for sql in ("UPDATE access_records SET purpose = 'x'", "DELETE FROM access_records"):
            with pytest.raises(DatabaseError, match="append-only"):
                db.session.execute(text(sql))
            db.session.rollback()
        assert db.session.scalar(select(AccessRecord.id).limit(1)) is not None
        db.session.remove()


def _sent_sms(app, world) -> str:
    """A sent SMS to the home applicant, for the dispatcher's resend button."""
    with app.app_context():
        a = db.session.get(Applicant, world.home.applicant)
        message_id = str(uuid.uuid4())
        message = OutboxMessage(
            id=message_id,
            kind="certificate_ready",
            channel="sms",
            recipient_kind="villager",
            recipient_id=a.id,
            phone=a.phone,
            township_code=township_code(a.village.code),
            status=OutboxStatus.SENT,
        )
        db.session.add(message)
        db.session.commit()
        db.session.remove()
    return message_id


AGENT_BODY = {
    "name": "记录代办员",
    "phone": "13900139123",
    "level": "village",
    "region": "445203103000",
    "shift": {"1": ["08:00", "17:00"]},
    "active": False,
}
WRITES = [
    # (id, role, method, path, body, whose kind, fields the role sees whole)
    ("create-applicant", "staff", "POST", "/api/applicants/", "new", "applicant",
     {"id_number", "phone", "home_point"}),
    ("patch-applicant", "dispatcher", "PATCH", "applicant", {"address": "村西头3号"},
     "applicant", {"phone", "address", "home_point"}),
    ("create-agent", "dispatcher", "POST", "/api/agents/", "agent", "agent", {"phone"}),
    ("patch-agent", "admin", "PATCH", "agent", {"active": True}, "agent", {"phone"}),
    ("resend", "dispatcher", "POST", "resend", None, "applicant", {"phone"}),
    ("correction", "admin", "POST", "correction", {"reason": "本人申请", "address": "村南5号"},
     "applicant", {"id_number", "phone", "address", "home_point"}),
]  # fmt: skip


def _write_call(app, world, path, body):
    home = world.home
    paths = {
        "applicant": f"/api/applicants/{home.applicant}",
        "agent": f"/api/agents/{home.agent}",
        "correction": f"/api/privacy/applicants/{home.applicant}/correction",
    }
    if path == "resend":
        path = f"/api/notifications/outbox/{_sent_sms(app, world)}/resend"
    bodies = {"new": applicant_body(home.village), "agent": AGENT_BODY | {"zone": [home.village]}}
    return paths.get(path, path), bodies.get(body, body) if isinstance(body, str) else body


@pytest.mark.parametrize(("case", "role", "method", "path", "body", "kind", "fields"), WRITES)
def test_a_write_records_its_answer_in_its_one_commit(
    app, client, auth, world, commits, case, role, method, path, body, kind, fields
):
    """A write whose answer shows someone whole commits once, with the record in it."""
    path, body = _write_call(app, world, path, body)
    headers = auth(role) | {"X-Request-ID": uuid.uuid4().hex}
    if method == "PATCH":
        headers["If-Match"] = client.get(path, headers=auth(role)).headers["ETag"]
    commits.clear()
    resp = client.open(path, method=method, json=body, headers=headers)
    assert resp.status_code in (200, 201), resp.get_json()
    assert len(commits) == 1, f"{case}: {len(commits)} commits"
    records = _records(app, headers["X-Request-ID"])
    assert records and {r.subject_kind for r in records} == {kind}
    # Exactly what the rule shows the role whole (dispatch.privacy.RULES), no more.
    assert {f for r in records for f in r.field_list} == fields
    assert all(r.username == role for r in records)
