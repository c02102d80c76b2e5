"""The holiday supplement file: the State Council's notice for years chinesecalendar lacks.

An administrator writes it when a notice is published, without waiting for a package release::

    {"<year>": {"holidays": ["YYYY-MM-DD", ...], "workdays": ["YYYY-MM-DD", ...]}}

``holidays`` are the days off, weekends inside a holiday included or not; ``workdays`` are the
make-up working days (调休上班日), usually weekends. Anything else is refused when the app
starts, with the file and the entry named, because a wrong calendar moves every promise.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

from dispatch.workdays import OfficialYear

LISTS = ("holidays", "workdays")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class HolidayFileError(ValueError):
    """The supplement file is missing or wrong; the message names the file and the entry."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"节假日文件有误 / Bad holiday file {path}: {detail}")
        self.path = path
        self.detail = detail


def load_holiday_file(path: str | Path) -> dict[int, OfficialYear]:
    """Read and check the supplement at ``path``; every problem is a ``HolidayFileError``."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HolidayFileError(path, f"cannot read it: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HolidayFileError(path, f"not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise HolidayFileError(path, "the top level must be an object keyed by year")
    return {_year_key(path, key): _year(path, key, entry) for key, entry in raw.items()}


def _year_key(path: Path, key: str) -> int:
    if not re.fullmatch(r"\d{4}", key):
        raise HolidayFileError(path, f'{key!r}: a year key must be four digits, like "2027"')
    return int(key)


def _year(path: Path, key: str, entry: Any) -> OfficialYear:
    if not isinstance(entry, dict) or set(entry) != set(LISTS):
        found = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
        raise HolidayFileError(
            path, f"{key}: must be an object with exactly 'holidays' and 'workdays' (found {found})"
        )
    days = {name: _days(path, f"{key}.{name}", int(key), entry[name]) for name in LISTS}
    both = days["holidays"] & days["workdays"]
    if both:
        listed = ", ".join(sorted(d.isoformat() for d in both))
        raise HolidayFileError(path, f"{key}: {listed} is both a holiday and a workday")
    return OfficialYear(holidays=days["holidays"], workdays=days["workdays"])


def _days(path: Path, where: str, year: int, values: Any) -> frozenset[date]:
    if not isinstance(values, list):
        raise HolidayFileError(path, f"{where}: must be a list of YYYY-MM-DD dates")
    days: set[date] = set()
    for i, value in enumerate(values):
        entry = f"{where}[{i}]: {value!r}"
        if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
            raise HolidayFileError(path, f"{entry} is not a YYYY-MM-DD date")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise HolidayFileError(path, f"{entry} is not a date of the calendar") from None
        if day.year != year:
            raise HolidayFileError(path, f"{entry} is not in {year}")
        if day in days:
            raise HolidayFileError(path, f"{entry} is listed twice")
        days.add(day)
    return frozenset(days)
