"""Cases say when their promised or predicted date rests on the Mon–Fri guess."""

from __future__ import annotations

import itertools
import json
from datetime import date

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.applicants import Applicant
from dispatch.services import cases
from dispatch.workdays import OfficialYear, calendar_covers

from ..conftest import FROZEN_NOW

# The first year without a holiday notice in the package (2027 with chinesecalendar 1.11.0),
# found rather than written, so a package that learns 2027 does not break the test.
GUESSED = next(y for y in itertools.count(FROZEN_NOW.year) if not calendar_covers(date(y, 6, 1)))


@pytest.fixture()
def dated_case(app, world, supplement):
    """Register a case on the frozen day (25 Nov 2026), then pin its dates."""

    def make(due: date, predicted: date | None) -> tuple[int, str, str]:
        with app.app_context():
            case = cases.register_case(
                db.session,
                world.scope,
                world.home.applicant,
                "DEMO-GA-001",
                "agent",
                now=FROZEN_NOW,
            )
            case.due_date, case.predicted_date = due, predicted
            db.session.commit()
            phone = db.session.scalar(
                select(Applicant.phone).where(Applicant.id == world.home.applicant)
            )
            out = (case.id, case.reference, phone or "")
            db.session.remove()
        return out

    return make


def _both_views(client, auth, case: tuple[int, str, str]) -> tuple[dict, dict]:
    case_id, reference, phone = case
    staff = client.get(f"/api/cases/{case_id}", headers=auth("dispatcher"))
    public = client.get(f"/api/public/cases/lookup?reference={reference}&phone={phone}")
    assert staff.status_code == 200 and public.status_code == 200, public.get_json()
    return staff.get_json(), public.get_json()


def test_dates_inside_the_official_calendar_are_not_estimated(client, auth, dated_case):
    """Accepted and due in 2026, which the package covers: no flag, no note."""
    for body in _both_views(client, auth, dated_case(date(2026, 12, 2), date(2026, 12, 1))):
        assert body["dates_estimated"] is False
        assert body["dates_note"] == ""


def test_a_date_reaching_a_year_without_a_notice_is_estimated(client, auth, dated_case):
    """Due in 2026 but predicted into the next year without a notice: flagged, with why."""
    case = dated_case(date(2026, 12, 30), date(GUESSED, 1, 8))
    for body in _both_views(client, auth, case):
        assert body["dates_estimated"] is True
        assert f"{GUESSED}年节假日安排未发布" in body["dates_note"]
        assert f"The {GUESSED} holiday notice is not out yet" in body["dates_note"]


def test_loading_the_notice_clears_the_flag(client, auth, dated_case, supplement):
    """Once an admin's supplement lists that year, the same dates are official."""
    case = dated_case(date(GUESSED, 1, 11), None)
    assert all(body["dates_estimated"] for body in _both_views(client, auth, case))
    supplement({GUESSED: OfficialYear(holidays=frozenset(), workdays=frozenset())})
    for body in _both_views(client, auth, case):
        assert body["dates_estimated"] is False
        assert body["dates_note"] == ""


def test_the_case_list_carries_the_flag(client, auth, dated_case):
    """The console reads the flag from the list of cases too (the newest is on the last page)."""
    case_id = dated_case(date(GUESSED, 1, 11), None)[0]
    query = "/api/cases/?open_only=true&page_size=100"
    first = client.get(query, headers=auth("dispatcher"))
    last_page = json.loads(first.headers["X-Pagination"])["last_page"]
    rows = client.get(f"{query}&page={last_page}", headers=auth("dispatcher")).get_json()
    row = next(r for r in rows if r["id"] == case_id)
    assert row["dates_estimated"] is True
    assert row["due_date"] == f"{GUESSED}-01-11"
