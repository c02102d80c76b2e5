"""A dropped database connection: repeatable requests are retried, the rest get a 503 with
Retry-After, never a 500 or a 401 (the database under a real load is in tests/load)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask_sqlalchemy.session import Session
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from dispatch.extensions import db
from dispatch.services import items

DROPPED = OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


def _failing(real: Callable[..., Any], failures: int) -> tuple[Callable[..., Any], list[int]]:
    """``real``, raising a lost connection on its first ``failures`` calls."""
    calls = [0]

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] <= failures:
            raise DROPPED
        return real(*args, **kwargs)

    return wrapped, calls


@pytest.fixture()
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr("dispatch.resilience.BACKOFF_S", 0.0)
    yield


def test_a_read_is_retried_and_answers(client, auth, monkeypatch, no_backoff) -> None:
    """A GET whose connection drops once is run again and answers 200."""
    wrapped, calls = _failing(items.list_items, 1)
    monkeypatch.setattr(items, "list_items", wrapped)
    resp = client.get("/api/items/", headers=auth("admin"))
    assert resp.status_code == 200, resp.get_json()
    assert calls[0] == 2


def test_a_read_failing_on_gets_503_with_retry_after(client, auth, monkeypatch, no_backoff) -> None:
    """After the bounded retries the answer is 503 with Retry-After and a bilingual message."""
    wrapped, calls = _failing(items.list_items, 99)
    monkeypatch.setattr(items, "list_items", wrapped)
    resp = client.get("/api/items/", headers=auth("admin"))
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "2"
    assert "数据库" in resp.get_json()["message"] and "database" in resp.get_json()["message"]
    assert calls[0] == 3  # the first try and two retries


def test_a_write_without_a_key_is_not_repeated(client, auth, monkeypatch, no_backoff) -> None:
    """A POST without an idempotency key is never run twice: 503 at once."""
    from dispatch.services import applicants

    wrapped, calls = _failing(applicants.create_applicant, 99)
    monkeypatch.setattr(applicants, "create_applicant", wrapped)
    body = {
        "name": "李四",
        "phone": "13800138000",
        "id_number": "445203194501010018",
        "village": "445203103001",
        "lon": 116.4,
        "lat": 23.6,
    }
    resp = client.post("/api/applicants/", json=body, headers=auth("staff"))
    assert resp.status_code == 503, resp.get_json()
    assert calls[0] == 1


@pytest.fixture()
def revocation_check_drops(app) -> Iterator[list[str]]:
    """The database drops the connection on every query of ``revoked_tokens`` (the token
    check), wherever in the code that query is made; the statements are collected."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def drop(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "revoked_tokens" in statement:
            seen.append(statement)
            raise DROPPED

    event.listen(engine, "before_cursor_execute", drop)
    yield seen
    event.remove(engine, "before_cursor_execute", drop)


def test_a_lost_revocation_check_is_503_not_401(client, auth, revocation_check_drops) -> None:
    """The phone must not be logged out because the token check lost the database."""
    headers = auth("admin")
    resp = client.get("/api/items/", headers=headers)
    assert revocation_check_drops, "the request never checked its token"
    assert resp.status_code == 503, resp.get_json()
    assert resp.headers["Retry-After"] == "2"
    assert "database" in resp.get_json()["message"]


def test_a_connection_lost_after_the_answer_is_not_a_500(client, auth, monkeypatch) -> None:
    """The answer was made; the database then drops the connection, so closing the session at
    the end of the request fails on its ROLLBACK. The answer still goes out, not a 500."""
    wrapped, calls = _failing(Session.close, 1)
    monkeypatch.setattr(Session, "close", wrapped)
    resp = client.get("/api/items/", headers=auth("admin"))
    assert resp.status_code == 200, resp.get_json()
    assert calls[0] >= 1  # the close did fail once, at the end of the request
    assert client.get("/api/items/", headers=auth("admin")).status_code == 200
