"""Working days on China's official calendar, 调休 make-up weekends included.

The calendar comes from the ``chinesecalendar`` package, which follows the State Council's
yearly notice, and from a supplement an administrator loads for years the package does not
cover yet (:mod:`dispatch.services.holiday_file`, installed once by ``create_app``). The
supplement wins for the years it lists. For a year neither covers, weekends are rest days and
weekdays work except the holidays every notice has (1 January, 1 May, 1-3 October); that is the
best guess until the notice is out, and :func:`calendar_covers`
and :func:`uncovered_years` say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar

CST = ZoneInfo("Asia/Shanghai")
#: Days off in every year's notice (New Year's Day, Labour Day, National Day 1-3 October):
#: even the Mon-Fri estimate for a year without a notice skips them.
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)})


@dataclass(frozen=True)
class OfficialYear:
    """One year of the State Council's notice: days off and make-up working days (调休上班日)."""

    holidays: frozenset[date]
    workdays: frozenset[date]


# Read on every call, replaced whole by use_supplement: the hot functions stay lock-free.
_supplement: Mapping[int, OfficialYear] = MappingProxyType({})


def use_supplement(years: Mapping[int, OfficialYear] | None = None) -> None:
    """Install the supplement's years; ``None`` or ``{}`` removes it (tests reset with this)."""
    global _supplement
    _supplement = MappingProxyType(dict(years or {}))
    is_working_day.cache_clear()


def supplement_years() -> tuple[int, ...]:
    """The years the installed supplement lists, in order."""
    return tuple(sorted(_supplement))


@lru_cache(maxsize=64)
def _package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def calendar_covers(day: date) -> bool:
    """Whether an official calendar (the supplement or the package) covers ``day``'s year."""
    return day.year in _supplement or _package_covers(day.year)


# Planning asks about the same few weeks for every case (urgency counts days to the promise):
# about 170,000 calls for a city-wide run, which the package answers far slower than a cache.
@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    official = _supplement.get(day.year)
    if official is not None:
        if day in official.workdays:
            return True
        return day not in official.holidays and day.isoweekday() <= 5
    if _package_covers(day.year):
        return bool(chinese_calendar.is_workday(day))
    return day.isoweekday() <= 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def uncovered_years(start: date, end: date) -> tuple[int, ...]:
    """Years of the days from ``start`` through ``end`` that only the Mon–Fri guess covers."""
    first, last = sorted((start.year, end.year))
    return tuple(y for y in range(first, last + 1) if not calendar_covers(date(y, 1, 1)))


def estimate_note(years: tuple[int, ...]) -> str:
    """Why dates over ``years`` are a guess, Chinese first; empty when there is nothing to say."""
    if not years:
        return ""
    zh = "、".join(str(y) for y in years)
    en = ", ".join(str(y) for y in years)
    return (
        f"{zh}年节假日安排未发布，按周一至周五（除元旦、劳动节、国庆节）估算 / "
        f"The {en} holiday notice is not out yet; estimated on Mon–Fri "
        "(without 1 Jan, 1 May, 1–3 Oct)"
    )


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
