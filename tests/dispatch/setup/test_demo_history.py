"""The demo's history: delivered cases across counties, rated, 差评 carried on; same per seed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.cases import Case, CustodyEvent, HolderKind, Status
from dispatch.models.outbox import OutboxMessage, OutboxStatus
from dispatch.models.ratings import Appeal, Rating, Rectification
from dispatch.setup.demo_history import NOTE, seed_history
from tests.conftest import demo_app

# 揭东区 玉窖镇, 揭西县 and 普宁市: three counties.
TOWNS = {"445203103000", "445222102000", "445281103000"}
NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def _seeded(path: Path, divisions_dir: Path) -> tuple[dict, list[tuple], list[tuple]]:
    app = demo_app(f"sqlite:///{path}", divisions_dir, seed=5, only=TOWNS, now=NOW)
    with app.app_context():
        s = db.session
        counts = seed_history(s, seed=5, now=NOW, working_days=30, rate=0.8)
        ratings = [
            (r.case.reference, r.level, r.source, r.rated_at, r.delivered_at, r.township_code)
            for r in s.scalars(select(Rating).order_by(Rating.id))
        ]
        rects = [
            (x.rating.case.reference, x.status, x.flagged_stage, x.callback_outcome)
            for x in s.scalars(select(Rectification).order_by(Rectification.id))
        ]
        s.remove()
    return counts, ratings, rects


@pytest.fixture(scope="module")
def history(tmp_path_factory, divisions_dir):
    first = _seeded(tmp_path_factory.mktemp("history") / "a.sqlite3", divisions_dir)
    return first, tmp_path_factory, divisions_dir


def test_the_history_is_the_same_for_a_seed(history):
    """Seeded twice with one seed and one clock, the two histories are row for row alike."""
    first, factory, divisions_dir = history
    assert _seeded(factory.mktemp("again") / "b.sqlite3", divisions_dir) == first


def test_the_history_reads_like_months_of_work(history):
    """Delivered cases in three counties, every rating channel, every level, silence turned
    into 基本满意 after 7 days, 差评 at several stages of their rectification; all in the past."""
    (counts, ratings, rects), _, _ = history
    assert counts["delivered cases"] >= 40
    assert {code[:6] for *_, code in ratings} == {"445203", "445222", "445281"}
    assert {source for _, _, source, *_ in ratings} == {"sms", "callback", "screen", "default"}
    assert {level for _, level, *_ in ratings} == {1, 2, 3, 4, 5}
    for _, level, source, rated_at, delivered_at, _ in ratings:
        assert rated_at.replace(tzinfo=UTC) <= NOW
        if source == "default":
            assert level == 3 and rated_at - delivered_at >= timedelta(days=7)
    assert counts["差评"] == len(rects) == sum(level <= 2 for _, level, *_ in ratings)
    assert len({status for _, status, *_ in rects}) >= 2, rects
    assert "closed" in {status for _, status, *_ in rects}


def test_history_cases_went_the_whole_way(history, tmp_path_factory, divisions_dir):
    """Each history case was registered, carried up and back and handed to its applicant, by
    the services (custody chain, receipts), its SMS long sent; closed 整改 told the villager."""
    path = tmp_path_factory.mktemp("walk") / "c.sqlite3"
    app = demo_app(f"sqlite:///{path}", divisions_dir, seed=5, only=TOWNS, now=NOW)
    with app.app_context():
        s = db.session
        seed_history(s, seed=5, now=NOW, working_days=10, rate=0.8)
        cases = s.scalars(select(Case).where(Case.note == NOTE)).all()
        assert cases and all(c.status == Status.DELIVERED for c in cases)
        for case in cases:
            chain = s.scalars(
                select(CustodyEvent)
                .where(CustodyEvent.case_id == case.id)
                .order_by(CustodyEvent.seq)
            ).all()
            assert chain[-1].to_kind == HolderKind.APPLICANT and chain[-1].from_kind == "agent"
            assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
        pending = s.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.status == OutboxStatus.PENDING)
        ).all()
        assert "rate_service" not in pending and "certificate_ready" not in pending
        closed = s.scalars(select(Rectification).where(Rectification.status == "closed")).all()
        told = {
            m.data.get("rectification_id")
            for m in s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "rating_result"))
        }
        assert {r.id for r in closed} <= told
        for appeal in s.scalars(select(Appeal)):
            if appeal.status == "removed":
                assert appeal.rating.removed_at and appeal.rating.removed_reason
        s.remove()
