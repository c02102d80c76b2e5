"""Opening hours of centres and shifts of agents, on the working-day calendar."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from datetime import date, datetime, time
from typing import Any

from dispatch.workdays import CST, is_working_day

Span = tuple[time, time]


def _parse_time(text: str) -> time:
    try:
        hh, mm = text.split(":")
        return time(int(hh), int(mm))
    except (ValueError, AttributeError):
        raise ValueError(f"'{text}' is not a time like 08:30") from None


def parse_weekly_hours(raw: dict[str, Any]) -> dict[int, list[Span]]:
    """Validate {"1": [["08:30","12:00"], ...]}; spans must be ordered and not overlap."""
    out: dict[int, list[Span]] = {}
    for key, spans in raw.items():
        if key not in {"1", "2", "3", "4", "5", "6", "7"}:
            raise ValueError(f"day '{key}' must be an ISO weekday 1 (Mon) to 7 (Sun)")
        if not isinstance(spans, list):
            raise ValueError(f"day {key}: a list of [open, close] pairs")
        parsed: list[Span] = []
        for span in spans:
            if not isinstance(span, list | tuple) or len(span) != 2:
                raise ValueError(f"day {key}: each span is [open, close]")
            start, end = _parse_time(span[0]), _parse_time(span[1])
            if start >= end:
                raise ValueError(f"day {key}: {span[0]}-{span[1]} closes before it opens")
            if parsed and start < parsed[-1][1]:
                raise ValueError(f"day {key}: spans overlap or are out of order")
            parsed.append((start, end))
        out[int(key)] = parsed
    return out


def parse_shift(raw: dict[str, Any]) -> dict[int, Span]:
    """Validate a weekly shift {"1": ["08:00","18:00"], ...}."""
    out: dict[int, Span] = {}
    for key, span in raw.items():
        spans = parse_weekly_hours({key: [span]})
        out[int(key)] = spans[int(key)][0]
    return out


def spans_on(
    weekly: dict[str, Any],
    day: date,
    closed: AbstractSet[date] = frozenset(),
    follows_holidays: bool = True,
) -> list[tuple[datetime, datetime]]:
    """Aware CST datetimes of the open spans on ``day``.

    On a 调休 make-up Saturday the office keeps Monday's hours; on a holiday it is closed.
    """
    if day in closed:
        return []
    weekday = day.isoweekday()
    if follows_holidays:
        working = is_working_day(day)
        if not working:
            return []
        if weekday >= 6 and str(weekday) not in weekly:
            weekday = 1
    spans = parse_weekly_hours(weekly).get(weekday, [])
    return [
        (datetime.combine(day, a, tzinfo=CST), datetime.combine(day, b, tzinfo=CST))
        for a, b in spans
    ]
