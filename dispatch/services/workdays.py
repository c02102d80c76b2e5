"""Working days on China's official calendar, 调休 make-up weekends included.

The calendar comes from the ``chinesecalendar`` package, which follows the State Council's
yearly notice. For a year it does not cover yet, weekends are rest days and weekdays work;
that is the best guess until the notice is out, and :func:`calendar_covers` says so.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

CST = ZoneInfo("Asia/Shanghai")


def calendar_covers(day: date) -> bool:
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.isoweekday() <= 5


def next_working_day(day: date) -> date:
    """The first working day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (the day of acceptance is not counted)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    day = start
    for _ in range(days):
        day = next_working_day(day)
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; negative when end is before start."""
    if end < start:
        return -working_days_between(end, start)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def cst_date(moment: datetime) -> date:
    return moment.astimezone(CST).date()
