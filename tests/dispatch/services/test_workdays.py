"""Working days follow China's official calendar, make-up weekends (调休) included."""

from __future__ import annotations

from datetime import date

import pytest

from dispatch.hours import spans_on
from dispatch.workdays import (
    OfficialYear,
    add_working_days,
    calendar_covers,
    estimate_note,
    is_working_day,
    uncovered_years,
    working_days_between,
)

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


# A made-up notice for 2031, a year chinesecalendar will not cover for a long time:
# Wednesday 1 and Thursday 2 January off, Saturday 4 January worked in exchange.
MADE_UP_2031 = OfficialYear(
    holidays=frozenset({date(2031, 1, 1), date(2031, 1, 2)}),
    workdays=frozenset({date(2031, 1, 4)}),
)


def test_a_supplement_year_follows_the_file(supplement):
    """Its make-up Saturday works, its weekday holidays do not, and promises count that way."""
    supplement({2031: MADE_UP_2031})
    assert calendar_covers(date(2031, 7, 1))
    assert is_working_day(date(2031, 1, 4))
    assert not is_working_day(date(2031, 1, 1))
    assert not is_working_day(date(2031, 1, 5))
    assert is_working_day(date(2031, 1, 3))
    # Fri 3, Sat 4 (make-up), Mon 6: not Wed 1, Thu 2, Fri 3 as Mon–Fri would have it.
    assert add_working_days(date(2030, 12, 31), 3) == date(2031, 1, 6)
    assert working_days_between(date(2030, 12, 31), date(2031, 1, 6)) == 3
    assert uncovered_years(date(2031, 1, 1), date(2031, 12, 31)) == ()


def test_a_year_nobody_covers_falls_back_to_monday_to_friday(supplement):
    """Without the supplement 2031 is a guess: weekdays work, weekends rest, and it says so;
    the holidays every notice has (1 January, 1 May, 1-3 October) are off even so."""
    assert not calendar_covers(date(2031, 1, 4))
    assert is_working_day(date(2031, 1, 2))
    assert not is_working_day(date(2031, 1, 4))
    for fixed in (date(2031, 1, 1), date(2031, 5, 1), date(2031, 10, 1), date(2031, 10, 3)):
        assert fixed.isoweekday() <= 5 and not is_working_day(fixed), fixed
    assert is_working_day(date(2031, 10, 6)) and is_working_day(date(2031, 4, 30))
    # Thu 2, Fri 3, Mon 6: New Year's Day is skipped.
    assert add_working_days(date(2030, 12, 31), 3) == date(2031, 1, 6)
    assert uncovered_years(date(2031, 1, 1), date(2032, 2, 1)) == (2031, 2032)
    assert estimate_note((2031,)) == (
        "2031年节假日安排未发布，按周一至周五（除元旦、劳动节、国庆节）估算 / "
        "The 2031 holiday notice is not out yet; estimated on Mon–Fri "
        "(without 1 Jan, 1 May, 1–3 Oct)"
    )


def test_the_supplement_wins_over_the_package(supplement):
    """A year both cover is answered from the file, which an admin can correct at once."""
    assert not is_working_day(date(2026, 10, 1))
    supplement({2026: OfficialYear(holidays=frozenset(), workdays=frozenset())})
    assert is_working_day(date(2026, 10, 1))


def test_covered_years_need_no_note(supplement):
    """A stretch inside the package's years is official: no uncovered year, no note."""
    assert calendar_covers(date(2026, 10, 1))
    assert uncovered_years(date(2026, 9, 30), date(2026, 10, 13)) == ()
    assert estimate_note(()) == ""
