"""Personal data at rest: sealed in the database, findable by its blind index only."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from dispatch import crypto
from dispatch.extensions import db
from dispatch.models import Agent, Applicant, Base, OutboxMessage, Region


def _secrets(app: Flask) -> set[str]:
    """The demo's ID numbers, phones and addresses, as the app reads them."""
    with app.app_context():
        found = set()
        for a in db.session.scalars(sa.select(Applicant)):
            found |= {a.id_number, a.phone, a.address}
        found |= set(db.session.scalars(sa.select(Agent.phone)))
        db.session.remove()
    found.discard("")
    assert len(found) > 100, found
    return found


def _raw_text(app: Flask, backend: str, db_url: str) -> str:
    """Everything stored: the database file on SQLite, every row as text on PostgreSQL."""
    if backend == "sqlite":
        path = Path(db_url.removeprefix("sqlite:///"))
        # With -wal / -journal if any, and the sealed images in the file store beside it.
        store = path.parent / (path.name + "-files")
        files = [path, *path.parent.glob(path.name + "-*"), *store.rglob("*")]
        return b"".join(f.read_bytes() for f in files if f.is_file()).decode("utf-8", "replace")
    with app.app_context():
        parts = [
            str(db.session.execute(sa.text(f'SELECT t::text FROM "{t.name}" t')).scalars().all())
            for t in Base.metadata.sorted_tables
        ]
        db.session.remove()
    return "\n".join(parts)


def test_no_id_number_phone_or_address_in_clear(app: Flask, backend: str, db_url: str) -> None:
    """A copy of the raw database holds none of the demo's ID numbers, phones or addresses."""
    secrets = _secrets(app)
    raw = _raw_text(app, backend, db_url)
    assert "v1.dev." in raw  # the sealed values are there
    with app.app_context():
        villages = db.session.scalars(sa.select(Region.name).where(Region.level == "village"))
        assert any(name in raw for name in villages)  # and clear Chinese text would show
        db.session.remove()
    leaked = sorted(s for s in secrets if s in raw)
    assert leaked == [], leaked[:10]


def test_sealed_columns_refuse_sql_comparison(ctx: None) -> None:
    """Comparing a sealed column in SQL would never match, so it raises instead."""
    with pytest.raises(TypeError, match="encrypted column"):
        Applicant.phone == "13800000000"  # noqa: B015
    with pytest.raises(TypeError, match="encrypted column"):
        Applicant.id_number.like("4452%")
    assert OutboxMessage.phone != ""  # emptiness is asked, and stored empty


def test_id_number_index_is_keyed_and_normalised() -> None:
    """The blind index is the same for 'x' and 'X', differs by key, and is not the value."""
    ring = crypto.development_keyring()
    other = crypto.Keyring({"a": b"\x01" * 32}, b"\x02" * 32)
    value = "44520219500101123X"
    assert crypto.id_number_index(value.lower()) == crypto.id_number_index(value)
    assert ring.blind_index(value, "c") != other.blind_index(value, "c")
    assert value not in ring.blind_index(value, "c")


def test_a_value_opens_only_in_its_own_column() -> None:
    """The column is the associated data: a token moved to another column fails to open."""
    ring = crypto.development_keyring()
    token = ring.encrypt("13800001234", "applicants.phone")
    assert ring.decrypt(token, "applicants.phone") == "13800001234"
    with pytest.raises(crypto.DecryptError):
        ring.decrypt(token, "agents.phone")


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("", "no keys"),
        ("k1", "key id"),
        ("k1:AAAA", "32"),
        (f"k1:{crypto.generate_key()},k1:{crypto.generate_key()}", "twice"),
        (f"bad id:{crypto.generate_key()}", "key id"),
    ],
)
def test_bad_key_lists_are_refused(spec: str, problem: str) -> None:
    """A key list that cannot be used stops the start with what is wrong in it."""
    with pytest.raises(crypto.KeyConfigError, match=problem):
        crypto.parse_keys(spec)


def test_missing_keys_fall_back_to_the_development_key_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No keys at all: the development key, said in the log; half a setting is an error."""
    ring = crypto.keyring_from("", "")
    assert ring.development and ring.current_id == crypto.DEV_KEY_ID
    assert "DEVELOPMENT data key" in caplog.text
    with pytest.raises(crypto.KeyConfigError, match="both"):
        crypto.keyring_from(f"k1:{crypto.generate_key()}", "")
