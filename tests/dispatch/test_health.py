"""/healthz and /readyz, and the request id every answer carries."""

from __future__ import annotations

import json
import logging

import pytest

from dispatch.app import create_app
from dispatch.requestlog import JsonFormatter
from dispatch.services.health import migration_heads


def test_healthz_and_readyz_answer_without_login(client):
    """Alive, and ready: the test database is migrated to the newest revision."""
    assert client.get("/healthz").get_json() == {"status": "alive"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    body = ready.get_json()
    assert body["ready"] and body["database"] == "ok" and body["migrations"] == "at head"
    assert body["current"] == body["head"] == list(migration_heads())


@pytest.mark.parametrize(
    ("url", "database", "migrations"),
    [
        ("sqlite:///{tmp}/empty.sqlite3", "ok", "behind: none"),
        ("postgresql+psycopg://nobody@127.0.0.1:9/nothing", "unreachable", "unknown"),
    ],
)
def test_readyz_is_503_until_the_database_is_migrated(tmp_path, url, database, migrations):
    """An empty database, or none at all, is not ready, and says which."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url.format(tmp=tmp_path)})
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert not body["ready"] and body["database"].startswith(database)
    assert body["migrations"] == migrations
    assert app.test_client().get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [("lb-7f3a.1", True), ("", False), ("has spaces in it", False), ("x" * 200, False)],
)
def test_every_answer_echoes_a_request_id(client, incoming, kept):
    """A well-formed incoming X-Request-ID is kept; otherwise a fresh one is made."""
    resp = client.get("/api/auth/me", headers={"X-Request-ID": incoming})
    assert resp.status_code == 401
    rid = resp.headers["X-Request-ID"]
    assert (rid == incoming) is kept
    if not kept:
        assert len(rid) == 32 and int(rid, 16) >= 0


def test_access_log_is_a_json_line_with_the_request_id(client, caplog):
    """The access line, formatted for production, is JSON naming the request and its id."""
    with caplog.at_level(logging.INFO, logger="dispatch.access"):
        resp = client.get("/healthz", headers={"X-Request-ID": "trace-1"})
    record = next(r for r in caplog.records if r.name == "dispatch.access")
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == resp.headers["X-Request-ID"] == "trace-1"
    assert line["method"] == "GET" and line["path"] == "/healthz" and line["status"] == 200
    assert line["level"] == "info" and line["duration_ms"] >= 0
