"""Login and the public look-up answer 429, bilingual and with Retry-After, once abused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from dispatch.extensions import db, limiter
from dispatch.models.cases import Case


@pytest.fixture()
def limits_on(app: Flask) -> Iterator[None]:
    """This app's limits switched on, with empty counters before and after."""
    limiter.reset()
    app.config["RATE_LIMITS_ON"] = True
    yield
    app.config["RATE_LIMITS_ON"] = False
    limiter.reset()


@pytest.fixture(scope="module")
def reference(app: Flask) -> str:
    with app.app_context():
        ref = db.session.scalar(select(Case.reference).order_by(Case.id).limit(1))
        db.session.remove()
    assert ref
    return ref


def _assert_too_many(resp) -> None:
    assert resp.status_code == 429
    wait = int(resp.headers["Retry-After"])
    assert 1 <= wait <= 3600
    body = resp.get_json()
    assert body["code"] == 429 and body["retry_after"] == wait
    zh, en = body["message"].split(" / ")
    assert "请求过于频繁" in zh and f"{wait} 秒" in zh
    assert "Too many requests" in en


def test_forty_wrong_phone_guesses_meet_a_429(client, limits_on, reference):
    """Wrong phones at the look-up are 404s until the limit (20 a minute), then 429s."""
    codes = [
        client.get(
            f"/api/public/cases/lookup?reference={reference}&phone=1390000{i:04d}"
        ).status_code
        for i in range(40)
    ]
    assert codes[:20] == [404] * 20
    assert codes[20:] == [429] * 20
    _assert_too_many(client.get(f"/api/public/cases/lookup?reference={reference}&phone=1"))


def test_another_address_is_not_held_back(client, limits_on, reference):
    """The limit is per client address: a second villager still gets an answer."""
    url = f"/api/public/cases/lookup?reference={reference}&phone=13900000000"
    for _ in range(20):
        client.get(url)
    assert client.get(url).status_code == 429
    other = client.get(url, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 404


def test_wrong_passwords_meet_a_429(client, limits_on):
    """Ten wrong passwords a minute are answered 401; the eleventh is a 429."""
    body = {"username": "agent", "password": "not-the-password"}
    codes = [client.post("/api/auth/login", json=body).status_code for _ in range(10)]
    assert codes == [401] * 10
    _assert_too_many(client.post("/api/auth/login", json=body))


def test_limits_off_in_the_test_config(client, reference):
    """Switched off (as for every other test), forty guesses are forty 404s."""
    url = f"/api/public/cases/lookup?reference={reference}&phone=13900000000"
    assert {client.get(url).status_code for _ in range(40)} == {404}
