"""Import Jieyang's administrative divisions and place villages that have no coordinates.

Placement is deterministic: each missing point is drawn from a generator seeded by the
region's own code, so importing twice (or on another machine) gives the same points.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep
from sqlalchemy import select

from dispatch.datafiles import DataFileError, features, read_csv
from dispatch.models.regions import CoordSource, Level, Region, code_at
from dispatch.models.session import DbSession

log = logging.getLogger(__name__)

VILLAGE_RADIUS_KM = (0.8, 6.0)  # synthetic villages lie this far from their township point
TOWNSHIP_RADIUS_KM = (3.0, 15.0)  # unplaced townships (farms, parks) from their county seat


@dataclass
class Row:
    code: str
    name: str
    level: Level
    parent_code: str
    subtype: str
    lon: float | None
    lat: float | None


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    synthetic: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


COLUMNS = ("code", "name", "level", "parent_code", "lon", "lat")


def _row(rec: dict[str, str]) -> Row:
    return Row(
        code=rec["code"],
        name=rec["name"],
        level=Level(rec["level"]),
        parent_code=rec["parent_code"],
        subtype=rec.get("subtype") or "",
        lon=float(rec["lon"]) if rec["lon"] else None,
        lat=float(rec["lat"]) if rec["lat"] else None,
    )


def read_rows(path: Path) -> list[Row]:
    """The divisions in ``path``; a missing or malformed file is a ``DataFileError``."""
    rows = read_csv(path, COLUMNS, _row)
    codes = {r.code for r in rows}
    for r in rows:
        if r.level != Level.CITY and r.parent_code not in codes:
            raise DataFileError(path, f"{r.code} {r.name}: its parent {r.parent_code} is missing")
    return rows


def _polygons(
    path: Path, key: Callable[[dict[str, Any]], Iterable[str]]
) -> dict[str, BaseGeometry]:
    out: dict[str, BaseGeometry] = {}
    for i, feature in enumerate(features(path)):
        try:
            geom = shape(feature["geometry"])
            codes = list(key(feature["properties"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataFileError(path, f"feature {i}: {exc!r}") from None
        for code in codes:
            out[code] = geom
    return out


def _offset(
    lon: float, lat: float, rng: random.Random, radius_km: tuple[float, float]
) -> tuple[float, float]:
    dist = rng.uniform(*radius_km)
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = dist / 111.32 * math.cos(bearing)
    dlon = dist / (111.32 * math.cos(math.radians(lat))) * math.sin(bearing)
    return lon + dlon, lat + dlat


def _inside(geom: BaseGeometry, rng: random.Random) -> tuple[float, float]:
    """A uniform point inside ``geom`` by rejection from its bounding box."""
    minx, miny, maxx, maxy = geom.bounds
    prepared = prep(geom)
    for _ in range(10_000):
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if prepared.contains(Point(lon, lat)):
            return lon, lat
    point = geom.representative_point()
    x: float = point.x
    y: float = point.y
    return x, y


def _near(
    lon: float,
    lat: float,
    area: BaseGeometry | None,
    rng: random.Random,
    radius_km: tuple[float, float],
) -> tuple[float, float]:
    """A point at a random distance from (lon, lat) that stays inside ``area``."""
    prepared = prep(area) if area is not None else None
    for _ in range(200):
        cand = _offset(lon, lat, rng, radius_km)
        if prepared is None or prepared.contains(Point(cand)):
            return cand
    return lon, lat


def place_missing(rows: list[Row], divisions_dir: Path) -> set[str]:
    """Fill in lon/lat for rows without them; returns the codes that were placed."""
    townships = _polygons(divisions_dir / "townships.geojson", lambda p: p.get("nbs_codes", []))
    counties = _polygons(divisions_dir / "counties.geojson", lambda p: [p["code"]])
    by_code = {r.code: r for r in rows}
    placed: set[str] = set()
    order = {Level.CITY: 0, Level.COUNTY: 1, Level.TOWNSHIP: 2, Level.VILLAGE: 3}
    for row in sorted(rows, key=lambda r: (order[r.level], r.code)):
        if row.lon is not None or row.level in (Level.CITY, Level.COUNTY):
            continue
        rng = random.Random(int(row.code))
        parent = by_code[row.parent_code]
        county_code = code_at(row.code, Level.COUNTY)
        county_area = counties.get(county_code)
        if row.level == Level.VILLAGE and row.parent_code in townships:
            row.lon, row.lat = _inside(townships[row.parent_code], rng)
        elif parent.lon is not None and parent.lat is not None:
            radius = VILLAGE_RADIUS_KM if row.level == Level.VILLAGE else TOWNSHIP_RADIUS_KM
            row.lon, row.lat = _near(parent.lon, parent.lat, county_area, rng, radius)
        elif county_area is not None:
            row.lon, row.lat = _inside(county_area, rng)
        else:
            continue
        placed.add(row.code)
    return placed


def import_divisions(
    session: DbSession, csv_path: Path, on_progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Upsert every division by code. A surveyed point is never overwritten."""
    rows = read_rows(csv_path)
    synthetic = place_missing(rows, csv_path.parent)
    existing = {r.code: r for r in session.scalars(select(Region))}
    report = ImportReport(synthetic=len(synthetic))
    order = {Level.CITY: 0, Level.COUNTY: 1, Level.TOWNSHIP: 2, Level.VILLAGE: 3}
    for i, row in enumerate(sorted(rows, key=lambda r: (order[r.level], r.code))):
        parent = existing.get(row.parent_code)
        source: CoordSource | None = (
            CoordSource.SYNTHETIC if row.code in synthetic else CoordSource.OFFICIAL
        )
        if row.lon is None:
            source = None
        values: dict[str, Any] = {
            "name": row.name,
            "level": row.level.value,
            "subtype": row.subtype,
            "parent_id": parent.id if parent else None,
        }
        region = existing.get(row.code)
        if region is None:
            region = Region(code=row.code, **values)
            region.lon, region.lat = _round(row.lon), _round(row.lat)
            region.coord_source = source.value if source else None
            session.add(region)
            session.flush()
            existing[row.code] = region
            report.created += 1
        else:
            if region.coord_source != CoordSource.SURVEYED:
                values |= {
                    "lon": _round(row.lon),
                    "lat": _round(row.lat),
                    "coord_source": source.value if source else None,
                }
            changed = {k: v for k, v in values.items() if getattr(region, k) != v}
            for key, value in changed.items():
                setattr(region, key, value)
            report.updated += bool(changed)
            report.unchanged += not changed
        if on_progress and i % 50 == 0:
            on_progress(i)
    session.commit()
    return report


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
