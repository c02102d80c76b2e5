"""PostgreSQL terminates every connection of the app in mid-load (``pg_terminate_backend``):
no 500, only 503s with Retry-After while it recovers, and nothing answered 2xx is lost."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from benchmarks.load.stack import Stack, StackConfig
from tests.conftest import reset_postgres
from tests.load.faults import PG, five_hundreds, load_running

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def _terminate_app_connections() -> int:
    engine = sa.create_engine(PG.rsplit("/", 1)[0] + "/postgres")
    with engine.begin() as conn:
        n = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = 'load_test' AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    engine.dispose()
    return int(n)


def test_terminated_connections_mid_load(redis_url: str, tmp_path: Path) -> None:
    """Twice during the load every backend of the app is terminated; the app recovers."""
    reset_postgres(PG)
    stack = Stack(StackConfig(pg_url=PG, port=5162, broker_db=12, limits_db=12, run_dir=tmp_path))
    try:
        with load_running(
            stack, ["--agents", "150", "--dispatchers", "10", "--duration", "60"], tmp_path
        ) as run:
            killed = []
            for wait in (25, 20):  # into the load, then again while it recovers
                time.sleep(wait)
                killed.append(_terminate_app_connections())
            ledger, rec = run.finish()
        web_log = (tmp_path / "web.log").read_text()
    finally:
        stack.stop()
    assert all(n > 0 for n in killed), killed
    five = five_hundreds(ledger)
    assert all(k.endswith(" 503") for k in five), five
    assert "Traceback" not in web_log or "unhandled error" not in web_log
    # Nothing at all is lost: the report/publish race and the booking's re-plan job failing on
    # the dropped connection, once let through here, are fixed (README, "Under load").
    assert not rec.lost, (dict(rec.lost), rec.examples)
    assert rec.counts["reports: applied once"] > 0
    print(f"terminated {killed} backends; 5xx {five}; reconciliation {dict(rec.counts)}")
