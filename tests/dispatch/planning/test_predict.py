"""Predicted completion dates follow the relay, the cut-off and the working calendar."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from dispatch.planning.predict import predict
from dispatch.workdays import working_days_between

MONDAY = date(2026, 11, 23)


def _case(status: str, level: str, promised: int = 10):
    item = SimpleNamespace(level=level, promised_days=promised)
    return SimpleNamespace(status=status, item=item)


def test_a_county_case_collected_today_predicts_later_than_one_already_at_the_county():
    """Each leg still ahead adds days: village, then township, then a case at the county since
    last week, for the same item."""
    in_village = predict(_case("materials_checked", "county"), MONDAY, True)
    at_township = predict(_case("at_township", "county"), MONDAY, True)
    at_county = predict(_case("at_county", "county"), MONDAY, False, date(2026, 11, 18))
    assert in_village > at_township > at_county


def test_not_planned_today_waits_a_working_day():
    """A leg not in today's plan moves on the next working day, so the date slips by one."""
    planned = predict(_case("at_township", "county"), MONDAY, True)
    waiting = predict(_case("at_township", "county"), MONDAY, False)
    assert working_days_between(planned, waiting) == 1


@pytest.mark.parametrize(("status", "expected"), [("returning", MONDAY), ("decided", MONDAY)])
def test_township_items_on_the_way_back_arrive_today_when_planned(status, expected):
    """A township-decided certificate returning today is delivered today."""
    assert predict(_case(status, "township"), MONDAY, True) == expected


def test_the_national_day_holiday_pushes_the_prediction():
    """The same case at the county a week before National Day ends after the holiday."""
    before = predict(
        _case("at_county", "county", promised=6), date(2026, 9, 28), False, date(2026, 9, 28)
    )
    assert before >= date(2026, 10, 9)


def test_a_late_office_never_predicts_the_past():
    """A case long at the county is predicted after today, not on a day already gone."""
    long_ago = date(2026, 10, 12)
    assert predict(_case("at_county", "county", promised=5), MONDAY, False, long_ago) > MONDAY
