"""Key rotation and the migration that seals existing rows, each on a database of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from dispatch.app import create_app, crypto
from dispatch.extensions import db
from dispatch.models import Agent, Applicant, OutboxMessage, Region
from dispatch.services.key_rotation import rotate_keys, stale_counts

OLD = f"old:{crypto.generate_key()}"
NEW = f"new:{crypto.generate_key()}"
INDEX = crypto.generate_key()


@pytest.fixture()
def restore_keyring() -> Iterator[None]:
    before = crypto.keyring()
    yield
    crypto.use_keyring(before)


def _app(path: Path, keys: str) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "DATA_KEYS": keys,
            "INDEX_KEY": INDEX,
        }
    )


def _village() -> Region:
    village = Region(code="445202001001", name="测试村", level="village", subtype="220")
    db.session.add(village)
    db.session.flush()
    return village


def _seed(n: int) -> None:
    village = _village()
    for i in range(n):
        db.session.add(
            Applicant(
                name=f"村民{i}",
                phone=f"1380000{i:04d}",
                id_number=f"44520219500101{i:04d}",
                village_id=village.id,
                address=f"测试村{i}号",
                lon=116.3 + i / 1000,
                lat=23.5,
            )
        )
    db.session.add(Agent(name="代办员", phone="13912345678", level="village", region_id=village.id))
    db.session.add(
        OutboxMessage(
            id="m1",
            kind="k",
            channel="sms",
            recipient_kind="villager",
            recipient_id=1,
            phone="13800000001",
        )
    )
    db.session.commit()


def _tokens() -> list[str]:
    rows = db.session.execute(
        sa.text(
            "SELECT phone, id_number, address, lon, lat FROM applicants "
            "UNION ALL SELECT phone, '', '', '', '' FROM agents "
            "UNION ALL SELECT phone, '', '', '', '' FROM outbox"
        )
    ).all()
    return [v for row in rows for v in row if v]


@pytest.mark.usefixtures("restore_keyring")
def test_rotation_moves_every_value_to_the_newest_key_and_resumes(tmp_path: Path) -> None:
    """Stopped after one batch it resumes; then all opens under the new key alone."""
    path = tmp_path / "rotate.sqlite3"
    with _app(path, OLD).app_context():
        upgrade()
        _seed(7)
        assert all(t.startswith("v1.old.") for t in _tokens())
        db.session.remove()
    with _app(path, f"{NEW},{OLD}").app_context():
        stale = {table: n for table, n in stale_counts(db.session).items() if n}
        assert stale == {"agents": 1, "applicants": 7, "outbox": 1}
        done: list[int] = []

        def stop_after_two(table: str, n: int) -> None:
            done.append(n)
            if len(done) == 2:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            rotate_keys(db.session, batch=3, on_batch=stop_after_two)
        db.session.rollback()
        left = sum(stale_counts(db.session).values())
        assert left == 9 - sum(done) and 0 < left < 9  # the two batches stayed moved
        report = rotate_keys(db.session, batch=3)
        assert sum(report.rewritten.values()) == left
        assert set(stale_counts(db.session).values()) == {0}
        assert all(t.startswith("v1.new.") for t in _tokens())
        db.session.remove()
    with _app(path, NEW).app_context():  # the old key retired: everything still opens
        people = db.session.scalars(sa.select(Applicant).order_by(Applicant.id)).all()
        assert [p.phone for p in people] == [f"1380000{i:04d}" for i in range(7)]
        assert people[3].lon == pytest.approx(116.303)
        assert db.session.scalar(sa.select(Agent.phone)) == "13912345678"
        assert db.session.get(OutboxMessage, "m1").phone == "13800000001"
        db.session.remove()


@pytest.mark.usefixtures("restore_keyring")
def test_migration_seals_existing_rows_and_its_downgrade_opens_them(tmp_path: Path) -> None:
    """Rows written in clear before 0008 are sealed by it, and back in clear after downgrade."""
    with _app(tmp_path / "migrate.sqlite3", NEW).app_context():
        upgrade(revision="0007")
        conn = db.session.connection()
        conn.execute(
            sa.text(
                "INSERT INTO regions (id, code, name, level, subtype) "
                "VALUES (1, '445202001001', '测试村', 'village', '220')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO applicants (id, name, phone, id_number, village_id, address, lon, "
                "lat, vulnerable, created_at) VALUES (1, '村民', '13800001234', "
                "'44520219500101123x', 1, '测试村12号', 116.371234, 23.55, false, "
                "'2026-01-01 00:00:00')"
            )
        )
        db.session.commit()
        upgrade()
        (raw,) = _tokens()[:1]
        assert raw.startswith("v1.new.") and "13800001234" not in " ".join(_tokens())
        person = db.session.get(Applicant, 1)
        assert (person.phone, person.id_number, person.address, person.lon) == (
            "13800001234",
            "44520219500101123X",
            "测试村12号",
            116.371234,
        )
        assert person.id_number_index == crypto.id_number_index("44520219500101123X")
        db.session.remove()
        downgrade(revision="0007")
        row = db.session.execute(
            sa.text("SELECT phone, id_number, address, lon FROM applicants")
        ).one()
        assert tuple(row) == ("13800001234", "44520219500101123X", "测试村12号", 116.371234)
        db.session.remove()
