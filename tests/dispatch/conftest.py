"""A migrated, seeded app for the dispatch tests, with logins for every role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from dispatch.app import create_app
from dispatch.extensions import db
from dispatch.setup.demo import DEMO_LOGINS, DEMO_TOWNSHIP

# Two townships in one county and one in another, so cross-region leaks can show.
OTHER_TOWNSHIP_SAME_COUNTY = "445203102000"  # 揭东区 云路镇
OTHER_COUNTY_TOWNSHIP = "445222102000"  # 揭西县 龙潭镇
SEEDED = {DEMO_TOWNSHIP, OTHER_TOWNSHIP_SAME_COUNTY, OTHER_COUNTY_TOWNSHIP}
# A fixed clock inside China's working calendar, for dates that must not drift.
FROZEN_NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
AGENT_PASSWORD = "route-agent-test-2026"


def agent_login(app: Flask, agent_id: int) -> tuple[str, str]:
    """Username and password of an agent, making a login for one who has none."""
    from dispatch.models.users import Role, User
    from dispatch.services.passwords import hash_password

    with app.app_context():
        user = db.session.scalar(select(User).where(User.agent_id == agent_id))
        if user is None:
            user = User(
                username=f"route-agent-{agent_id}",
                password_hash=hash_password(AGENT_PASSWORD),
                role=Role.AGENT,
                agent_id=agent_id,
            )
            db.session.add(user)
            db.session.commit()
        username = user.username
        db.session.remove()
    demo = {d.username: d.password for d in DEMO_LOGINS}
    return username, demo.get(username, AGENT_PASSWORD)


@pytest.fixture(scope="session")
def app(db_url: str, divisions_dir: Path) -> Flask:
    from flask_migrate import upgrade

    from dispatch.setup.demo import seed_demo
    from dispatch.setup.divisions import import_divisions

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": db_url,
            "DIVISIONS_DIR": str(divisions_dir),
            "PLAN_TIME_LIMIT_S": 1.0,
        }
    )
    with app.app_context():
        upgrade()
        import_divisions(db.session, divisions_dir / "divisions.csv")
        seed_demo(db.session, seed=11, only=SEEDED, now=FROZEN_NOW)
        db.session.remove()
    return app


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def tokens(app: Flask) -> dict[str, str]:
    """One bearer token per demo login, by username."""
    out = {}
    with app.test_client() as c:
        for login in DEMO_LOGINS:
            resp = c.post(
                "/api/auth/login", json={"username": login.username, "password": login.password}
            )
            assert resp.status_code == 200, resp.get_json()
            out[login.username] = resp.get_json()["access_token"]
    return out


@pytest.fixture()
def auth(tokens: dict[str, str]) -> Callable[[str], dict[str, str]]:
    def headers(username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[username]}"}

    return headers


@pytest.fixture()
def ctx(app: Flask):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture()
def supplement() -> Iterator[Callable[..., None]]:
    """``workdays.use_supplement``, with the registry empty before the test and after it."""
    from dispatch import workdays

    workdays.use_supplement(None)
    yield workdays.use_supplement
    workdays.use_supplement(None)


@pytest.fixture()
def commits() -> Iterator[list[Session]]:
    """Every commit of any session while the test runs."""
    seen: list[Session] = []

    def note(session: Session) -> None:
        seen.append(session)

    event.listen(Session, "before_commit", note)
    yield seen
    event.remove(Session, "before_commit", note)
