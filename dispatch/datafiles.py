"""Reading the data files the service ships (divisions, outlines, catalogue) with plain errors.

A missing, unreadable or malformed file stops the command with one line naming the file and
what is wrong with it, not a traceback from deep inside the import.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class DataFileError(ValueError):
    """A data file is missing or wrong; the message names the file and the problem."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"数据文件有误 / Bad data file {path}: {detail}")
        self.path = path
        self.detail = detail


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(path, "it does not exist") from None
    except OSError as exc:
        raise DataFileError(path, f"cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise DataFileError(path, f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None


def read_json(path: Path, required: Iterable[str] = ()) -> dict[str, Any]:
    """The JSON object in ``path``, which must have the ``required`` top-level keys."""
    try:
        data = json.loads(_text(path))
    except json.JSONDecodeError as exc:
        raise DataFileError(path, f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise DataFileError(path, "the top level must be a JSON object")
    missing = [key for key in required if key not in data]
    if missing:
        raise DataFileError(path, f"missing the key(s) {', '.join(missing)}")
    return data


def read_csv(path: Path, required: Iterable[str], row: Callable[[dict[str, str]], T]) -> list[T]:
    """Each record of the CSV at ``path`` through ``row``; a bad record names its line."""
    lines = _text(path).splitlines()
    reader = csv.DictReader(lines)
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise DataFileError(path, f"missing the column(s) {', '.join(missing)}")
    out = []
    for rec in reader:
        try:
            out.append(row(rec))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFileError(path, f"line {reader.line_num}: {exc}") from None
    if not out:
        raise DataFileError(path, "it has no rows")
    return out


def features(path: Path) -> list[dict[str, Any]]:
    """The features of a GeoJSON FeatureCollection, each with a geometry and properties."""
    data = read_json(path, required=("features",))
    found = data["features"]
    if not isinstance(found, list) or not all(
        isinstance(f, dict) and isinstance(f.get("geometry"), dict) and "properties" in f
        for f in found
    ):
        raise DataFileError(path, "'features' must be a list of GeoJSON features")
    return found
