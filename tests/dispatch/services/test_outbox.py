"""A message that quotes a delivery date says when the date is a Mon–Fri guess."""

from __future__ import annotations

from datetime import date

from dispatch.services import outbox
from dispatch.workdays import OfficialYear


def test_a_date_in_a_year_without_a_notice_is_marked(monkeypatch, supplement):
    """2031 has no notice: the date carries （预计 / estimated）; an official one does not."""
    monkeypatch.setattr(outbox, "today", lambda: date(2026, 11, 25))
    assert outbox.delivery_text(date(2026, 12, 1)) == "2026-12-01"
    assert outbox.delivery_text(date(2031, 1, 6)) == "2031-01-06（预计 / estimated）"


def test_the_mark_goes_once_the_notice_is_loaded(monkeypatch, supplement):
    """With every year up to 2031 in the supplement, the same date is plain."""
    monkeypatch.setattr(outbox, "today", lambda: date(2026, 11, 25))
    empty = OfficialYear(holidays=frozenset(), workdays=frozenset())
    supplement(dict.fromkeys(range(2027, 2032), empty))
    assert outbox.delivery_text(date(2031, 1, 6)) == "2031-01-06"
