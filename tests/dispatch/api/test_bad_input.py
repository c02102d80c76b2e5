"""Bad input gets a 4xx naming the field, and leaves nothing half-written behind."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models import Agent, Applicant, Appointment, Case, ServiceCentre, ServiceItem
from dispatch.workdays import CST

from .conftest import World, applicant_body

TABLES = (Applicant, Case, Appointment, Agent, ServiceCentre, ServiceItem)
BAD_ID = "445203194501011230"  # a real shape with the wrong check digit


def _names(errors: Any, field: str) -> bool:
    """Whether ``field`` is a key anywhere in a (nested) errors dict."""
    if not isinstance(errors, dict):
        return False
    return field in errors or any(_names(v, field) for v in errors.values())


def _counts(app) -> dict[str, int]:
    with app.app_context():
        out = {t.__name__: db.session.scalar(select(func.count()).select_from(t)) for t in TABLES}
        db.session.remove()
        return out


def _applicant(w: World, **change: Any) -> dict[str, Any]:
    return applicant_body(w.home.village) | change


def _tomorrow() -> str:
    return (datetime.now(CST).date() + timedelta(days=1)).isoformat()


CASES = [
    ("bad ID checksum", "/api/applicants/", lambda w: _applicant(w, id_number=BAD_ID), "id_number"),
    (
        "ID birth date",
        "/api/applicants/",
        lambda w: _applicant(w, id_number="445203194513011234"),
        "id_number",
    ),
    ("landline phone", "/api/applicants/", lambda w: _applicant(w, phone="06638123456"), "phone"),
    ("12-digit phone", "/api/applicants/", lambda w: _applicant(w, phone="138001380001"), "phone"),
    ("point in Paris", "/api/applicants/", lambda w: _applicant(w, lon=2.35, lat=48.85), "lon"),
    (
        "unknown village",
        "/api/applicants/",
        lambda w: _applicant(w, village="445203103999"),
        "village",
    ),
    (
        "township as village",
        "/api/applicants/",
        lambda w: _applicant(w, village="445203103000"),
        "village",
    ),
    (
        "string for bool",
        "/api/applicants/",
        lambda w: _applicant(w, vulnerable="very"),
        "vulnerable",
    ),
    ("string for float", "/api/applicants/", lambda w: _applicant(w, lon="east"), "lon"),
    ("unknown field", "/api/applicants/", lambda w: _applicant(w, nickname="阿伯"), "nickname"),
    (
        "unknown item",
        "/api/cases/",
        lambda w: {"applicant_id": w.home.applicant, "item_code": "NOPE", "channel": "agent"},
        "item_code",
    ),
    (
        "unknown applicant",
        "/api/cases/",
        lambda w: {"applicant_id": 999999, "item_code": "DEMO-GA-001", "channel": "agent"},
        "applicant_id",
    ),
    (
        "list for int",
        "/api/cases/",
        lambda w: {"applicant_id": [1], "item_code": "DEMO-GA-001", "channel": "agent"},
        "applicant_id",
    ),
    (
        "booking a past day",
        "/api/bookings/",
        lambda w: {"applicant_id": w.home.applicant, "date": "2024-01-02", "slot": "08:30-10:30"},
        "date",
    ),
    (
        "booking an unknown slot",
        "/api/bookings/",
        lambda w: {"applicant_id": w.home.applicant, "date": _tomorrow(), "slot": "07:00-08:00"},
        "slot",
    ),
    (
        "booking a number for a slot",
        "/api/bookings/",
        lambda w: {"applicant_id": w.home.applicant, "date": _tomorrow(), "slot": 830},
        "slot",
    ),
    (
        "hours close first",
        "/api/centres/",
        lambda w: {
            "region": w.home.village,
            "kind": "village",
            "name": "x",
            "lon": 116.3,
            "lat": 23.5,
            "opening_hours": {"1": [["12:00", "08:00"]]},
        },
        "opening_hours",
    ),
    (
        "weekday 8",
        "/api/centres/",
        lambda w: {
            "region": w.home.village,
            "kind": "village",
            "name": "x",
            "lon": 116.3,
            "lat": 23.5,
            "opening_hours": {"8": [["08:00", "12:00"]]},
        },
        "opening_hours",
    ),
    (
        "kind not level",
        "/api/centres/",
        lambda w: {
            "region": w.home.village,
            "kind": "township",
            "name": "x",
            "lon": 116.3,
            "lat": 23.5,
        },
        "kind",
    ),
    (
        "no copies",
        "/api/items/",
        lambda w: {
            "code": "BAD-1",
            "name": "x",
            "level": "county",
            "promised_days": 1,
            "materials": [{"name": "户口簿", "copies": 0, "original": True}],
        },
        "materials",
    ),
    (
        "counter time too short",
        "/api/items/",
        lambda w: {
            "code": "BAD-2",
            "name": "x",
            "level": "county",
            "promised_days": 1,
            "in_person": True,
            "counter_minutes": 5,
        },
        "counter_minutes",
    ),
    (
        "zone outside township",
        "/api/agents/",
        lambda w: {
            "name": "x",
            "phone": "13900139000",
            "level": "village",
            "region": "445203103000",
            "zone": [w.away.village],
        },
        "zone",
    ),
    (
        "shift reversed",
        "/api/agents/",
        lambda w: {
            "name": "x",
            "phone": "13900139000",
            "level": "village",
            "region": "445203103000",
            "shift": {"1": ["18:00", "08:00"]},
        },
        "shift",
    ),
    (
        "unknown centre",
        "/api/vehicles/",
        lambda w: {"kind": "car", "home_centre_id": 999999},
        "home_centre_id",
    ),
    (
        "unknown role",
        "/api/users/",
        lambda w: {"username": "abc", "password": "long-enough-1", "role": "mayor"},
        "role",
    ),
]


@pytest.mark.parametrize(("label", "path", "body", "field"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_names_the_field(app, client, auth, world, label, path, body, field):
    """A 4xx error body that names the offending field; no row is added anywhere."""
    before = _counts(app)
    resp = client.post(path, json=body(world), headers=auth("admin"))
    assert 400 <= resp.status_code < 500, resp.get_json()
    error = resp.get_json()
    assert error["code"] == resp.status_code
    assert _names(error.get("errors"), field), error
    assert _counts(app) == before


def test_duplicate_id_number_is_a_conflict(app, client, auth, world):
    """Registering the same ID number twice is a 409 naming id_number; one row stays."""
    body = applicant_body(world.home.village)
    assert client.post("/api/applicants/", json=body, headers=auth("staff")).status_code == 201
    before = _counts(app)
    again = client.post("/api/applicants/", json=body | {"name": "别人"}, headers=auth("staff"))
    assert again.status_code == 409 and _names(again.get_json()["errors"], "id_number")
    assert _counts(app) == before


def test_oversized_body_is_413_json(client, auth, app):
    """A body over MAX_CONTENT_LENGTH is refused with a JSON 413."""
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    resp = client.post(
        "/api/applicants/",
        data=f'{{"name": "{big}"}}',
        content_type="application/json",
        headers=auth("admin"),
    )
    assert resp.status_code == 413
    assert resp.get_json()["code"] == 413


def test_malformed_json_is_400(client, auth):
    """Broken JSON is a 4xx with the error body, not a 500."""
    resp = client.post(
        "/api/applicants/", data="{not json", content_type="application/json", headers=auth("admin")
    )
    assert 400 <= resp.status_code < 500 and resp.get_json()["code"] == resp.status_code


# Unknown query arguments are ignored, not refused: webargs excludes them for the query
# location, because the pager's page and page_size share the query string with the filters.
@pytest.mark.parametrize(
    "query",
    [
        "vulnerable=perhaps",
        "village=4452",
        "page=0",
        "page_size=100000",
        "starts_after=2026-01-01T08:00",
    ],
)
def test_bad_query_args_are_422(client, auth, query):
    """Malformed query arguments are a 422, never a 500."""
    path = "/api/appointments/" if query.startswith("starts") else "/api/applicants/"
    resp = client.get(f"{path}?{query}", headers=auth("admin"))
    assert resp.status_code == 422, resp.get_json()


def test_huge_ids_are_404(client, auth):
    """An id beyond a 32-bit column is a 404, not a database overflow."""
    resp = client.get(f"/api/cases/{2**63}", headers=auth("admin"))
    assert resp.status_code == 404


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deep_json_is_400_naming_the_depth(client, auth, depth):
    """JSON nested deeper than 32 levels is a 400 that says so, never a RecursionError 500."""
    body = "[" * depth + "]" * depth
    resp = client.post(
        "/api/applicants/", data=body, content_type="application/json", headers=auth("admin")
    )
    assert resp.status_code == 400, resp.get_json()
    assert "32" in resp.get_json()["message"]


def test_json_at_the_depth_limit_is_read(client, auth, world):
    """Nesting up to 32 levels, brackets inside strings not counted, reaches the schema."""
    body = _applicant(world, name="[" * 40 + "{" * 40, nickname=[[[[["x"]]]]])
    resp = client.post("/api/applicants/", json=body, headers=auth("admin"))
    assert resp.status_code == 422 and _names(resp.get_json()["errors"], "nickname")


def test_oversized_body_names_the_limit(client, auth, app):
    """A 5 MB body is a 413 whose message names the 1 MB limit."""
    resp = client.post(
        "/api/applicants/",
        data=b"[" + b"1," * (5 * 1024 * 1024 // 2) + b"1]",
        content_type="application/json",
        headers=auth("admin"),
    )
    assert resp.status_code == 413
    assert "1 MB" in resp.get_json()["message"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "code"),
    [
        ("get", "/api/no-such-thing", {}, 404),
        ("delete", "/api/regions/", {}, 405),
        (
            "post",
            "/api/applicants/",
            {"data": "{not json", "content_type": "application/json"},
            400,
        ),
        ("post", "/api/applicants/", {"json": {"name": 1}}, 422),
    ],
)
def test_every_error_body_has_a_message(client, auth, method, path, kwargs, code):
    """Werkzeug's and webargs' errors carry a message too, in the flask-smorest body."""
    resp = getattr(client, method)(path, headers=auth("admin"), **kwargs)
    assert resp.status_code == code
    body = resp.get_json()
    assert body["code"] == code and body["message"], body
