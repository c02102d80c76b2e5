"""Test set-up shared by every suite: which database to run on, and the app built on it.

``--db sqlite`` (default) or ``--db postgres``. Each run builds its schema with the Alembic
migrations, never ``create_all``, so the migrations are tested too. Under ``CI=true`` a
missing PostgreSQL or Redis is a failure, never a skip.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# Rate limits stay off in every test app (they share one client address); the tests of the
# limits switch them on for their own requests (tests/dispatch/api/test_rate_limits.py).
os.environ["DAIBAN_RATE_LIMITS"] = "0"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default=os.environ.get("DAIBAN_TEST_DB", "sqlite"),
        choices=["sqlite", "postgres"],
        help="database backend for the tests",
    )
    parser.addoption("--pg-url", default=os.environ.get("DAIBAN_TEST_PG_URL", DEFAULT_PG))


def service_missing(what: str, err: Exception) -> None:
    """Fail under CI, skip on a laptop without the service."""
    message = f"{what} is not reachable: {err}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.config.getoption("--db") == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    url = request.config.getoption("--pg-url")
    reset_postgres(url)
    return url


def demo_app(url: str, divisions_dir: Path, *, seed: int, only: set[str], **config: object):
    """An app on ``url``: migrated, Jieyang's divisions imported, the demo seeded for the
    ``only`` townships. ``config`` adds to the test settings; ``now`` goes to the seed."""
    from flask_migrate import upgrade

    from dispatch.app import create_app
    from dispatch.extensions import db
    from dispatch.setup.demo import seed_demo
    from dispatch.setup.divisions import import_divisions

    now = config.pop("now", None)
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "DIVISIONS_DIR": str(divisions_dir),
    }
    if not url.startswith("sqlite:///"):
        # A SQLite file has its image store beside it; any other database gets its own.
        settings["FILES_DIR"] = tempfile.mkdtemp(prefix="daiban-files-")
    app = create_app(settings | {"JOBS_EAGER": True} | config)
    with app.app_context():
        upgrade()
        import_divisions(db.session, divisions_dir / "divisions.csv")
        seed_demo(db.session, seed=seed, only=only, **({"now": now} if now else {}))
        db.session.remove()
    return app


def reset_postgres(url: str) -> None:
    """Empty the test database so the migrations start from nothing."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    except sa.exc.OperationalError as err:
        service_missing("PostgreSQL", err)


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    url = os.environ.get("DAIBAN_TEST_REDIS_URL", DEFAULT_REDIS)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as err:
        service_missing("Redis", err)
    return url


@pytest.fixture(scope="session")
def divisions_dir() -> Path:
    path = Path(__file__).resolve().parent.parent / "dispatch" / "data" / "jieyang"
    assert (path / "divisions.csv").exists(), f"missing {path}"
    return path


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


def iter_none() -> Iterator[None]:
    yield None
