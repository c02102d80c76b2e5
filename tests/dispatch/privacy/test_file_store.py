"""Signatures and photos out of the rows: sealed files named by a keyed content hash, rotated
with the keys, moved out of the rows by migration 0016 and back by its downgrade (and the
hand-over's position, sealed by 0017 and opened by its downgrade)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from dispatch.extensions import db, images
from dispatch.filestore import HASH, Images, LocalStore, TooLarge
from dispatch.models import Agent, Region
from dispatch.models.cases import Case, CustodyEvent
from dispatch.models.catalog import ServiceItem
from dispatch.models.entrustments import Entrustment
from dispatch.services.key_rotation import rotate_keys, stale_counts

from .test_rotation import NEW, OLD, _app, _seed, restore_keyring  # noqa: F401

SIGNED = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAA" + "Q" * 200
PHOTO = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgK" + "R" * 200


def test_an_image_is_sealed_by_its_hash_and_the_limit_holds(tmp_path: Path) -> None:
    """The file is named by a keyed hash, holds no image in clear, opens again; equal images
    are one file; one over the limit is refused."""
    store = Images(LocalStore(tmp_path), max_bytes=1000)
    name = store.put(SIGNED)
    assert HASH.match(name) and store.put(SIGNED) == name
    [path] = list(tmp_path.glob("??/*"))
    assert path.name == name and b"iVBOR" not in path.read_bytes()
    assert path.read_bytes().startswith(b"v1.")
    assert store.get(name) == SIGNED
    with pytest.raises(TooLarge):
        store.put("x" * 1001)
    store.delete(name)
    store.delete(name)  # gone is fine
    assert store.names() == []


def _case_with_images() -> tuple[int, int]:
    """A case with one receipt (signature and photo) and one entrustment (signature)."""
    village = db.session.scalar(sa.select(Region))
    agent = db.session.scalar(sa.select(Agent))
    item = ServiceItem(code="T-1", name="测试事项", level="village", promised_days=5)
    db.session.add(item)
    db.session.flush()
    case = Case(
        reference="T2026-000001",
        applicant_id=1,
        item_id=item.id,
        village_id=village.id,
        channel="agent",
        due_date=date(2026, 12, 31),
        holder_kind="applicant",
        holder_id=1,
    )
    db.session.add(case)
    db.session.flush()
    event = CustodyEvent(
        case_id=case.id,
        seq=1,
        receipt_no="JJ20261208000001001",
        from_kind="applicant",
        from_id=1,
        to_kind="agent",
        to_id=agent.id,
        signature_hash=images().put(SIGNED),
        photo_hash=images().put(PHOTO),
        lon=116.371234,
        lat=23.551234,
    )
    mandate = Entrustment(
        case_id=case.id,
        agent_id=agent.id,
        materials=["身份证"],
        valid_until=date(2027, 1, 31),
        captured_at="village_room",
        signed_at=datetime(2026, 12, 1, tzinfo=UTC),
        signature_hash=images().put(SIGNED),
    )
    db.session.add_all([event, mandate])
    db.session.commit()
    return event.id, mandate.id


def _raw(sql: str) -> list[sa.Row]:
    return list(db.session.execute(sa.text(sql)).all())


@pytest.mark.usefixtures("restore_keyring")
def test_migration_moves_images_back_and_out_again(tmp_path: Path) -> None:
    """0016's downgrade puts each image back in its row, sealed, and deletes the files; the
    upgrade moves them out again: the rows keep only the hash, the database no image."""
    path = tmp_path / "files.sqlite3"
    with _app(path, NEW).app_context():
        upgrade()
        _seed(1)
        event_id, mandate_id = _case_with_images()
        hashes = _raw("SELECT signature_hash, photo_hash FROM custody_events")[0]
        assert b"iVBOR" not in path.read_bytes() and len(images().names()) == 2
        db.session.remove()
        downgrade(revision="0015")
        row = _raw("SELECT signature_png, photo_jpeg FROM custody_events")[0]
        assert all(v.startswith("v1.new.") for v in row)  # sealed in the row, as before
        assert images().names() == []
        # 0017's downgrade opened the hand-over's position again.
        assert tuple(_raw("SELECT lon, lat FROM custody_events")[0]) == (116.371234, 23.551234)
        upgrade()
        assert _raw("SELECT signature_hash, photo_hash FROM custody_events")[0] == hashes
        assert _raw("SELECT signature_hash FROM entrustments")[0][0] == hashes[0]
        assert all(
            str(v).startswith("v1.new.") for v in _raw("SELECT lon, lat FROM custody_events")[0]
        )
        event = db.session.get(CustodyEvent, event_id)
        assert images().get(event.photo_hash) == PHOTO
        assert (event.lon, event.lat) == (116.371234, 23.551234)
        mandate = db.session.get(Entrustment, mandate_id)
        assert images().get(mandate.signature_hash) == SIGNED
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("custody_events")}
        assert "signature_png" not in columns and "photo_hash" in columns
        db.session.remove()
    assert b"iVBOR" not in path.read_bytes() and b"/9j/4AAQ" not in path.read_bytes()


@pytest.mark.usefixtures("restore_keyring")
def test_rotation_reseals_the_files(tmp_path: Path) -> None:
    """rotate-keys re-encrypts every file under the newest key; they open once the old key
    is retired."""
    path = tmp_path / "rotate-files.sqlite3"
    with _app(path, OLD).app_context():
        upgrade()
        names = [images().put(f"{SIGNED}{i}") for i in range(5)]
        db.session.remove()
    with _app(path, f"{NEW},{OLD}").app_context():
        assert stale_counts(db.session)["files"] == 5
        report = rotate_keys(db.session, batch=2)
        assert report.rewritten["files"] == 5
        assert stale_counts(db.session)["files"] == 0
        db.session.remove()
    with _app(path, NEW).app_context():
        assert [images().get(n) for n in names] == [f"{SIGNED}{i}" for i in range(5)]
        assert all(images().store.get(n).startswith(b"v1.new.") for n in names)
