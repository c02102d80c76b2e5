"""Working days follow China's official calendar, make-up weekends (调休) included."""

from __future__ import annotations

from datetime import date

import pytest

from dispatch.services.hours import spans_on
from dispatch.services.workdays import add_working_days, is_working_day, working_days_between

HOURS = {str(d): [["08:30", "12:00"], ["14:30", "17:30"]] for d in range(1, 6)}


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Five working days over the 2026 National Day holiday are not seven calendar days.
        (date(2026, 9, 30), 5, date(2026, 10, 13)),
        # Sunday 20 September 2026 is a make-up working day.
        (date(2026, 9, 18), 2, date(2026, 9, 21)),
        # An ordinary week.
        (date(2026, 11, 23), 5, date(2026, 11, 30)),
    ],
)
def test_add_working_days_follows_the_holiday_notice(start, days, due):
    """The promised date counts only official working days."""
    assert add_working_days(start, days) == due


def test_holidays_and_make_up_days():
    """1 Oct is off; Saturday 10 Oct 2026 is a working day."""
    assert not is_working_day(date(2026, 10, 1))
    assert is_working_day(date(2026, 10, 10))
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 13)) == 5


def test_centre_opens_on_a_make_up_saturday_with_monday_hours():
    """A 调休 Saturday keeps Monday's hours; a holiday Thursday has none."""
    assert len(spans_on(HOURS, date(2026, 10, 10))) == 2
    assert spans_on(HOURS, date(2026, 10, 1)) == []


def test_a_closed_day_closes_the_centre():
    """A centre's own closed day overrides the calendar."""
    assert spans_on(HOURS, date(2026, 11, 30), closed={date(2026, 11, 30)}) == []
