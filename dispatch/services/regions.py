"""Reading regions within the caller's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from dispatch.errors import Forbidden, Invalid, NotFound
from dispatch.models.regions import CoordSource, Region
from dispatch.models.session import DbSession
from dispatch.models.users import Scope
from dispatch.services.validation import point_problem


def list_regions(
    scope: Scope, level: str | None = None, parent: str | None = None, q: str | None = None
) -> Select[Any]:
    stmt = select(Region).where(Region.code.like(f"{scope.prefix}%")).order_by(Region.code)
    if level:
        stmt = stmt.where(Region.level == level)
    if parent:
        stmt = stmt.where(Region.parent.has(Region.code == parent))
    if q:
        stmt = stmt.where(Region.name.contains(q))
    return stmt


def get_region(session: DbSession, scope: Scope, code: str) -> Region:
    """A region in scope, or one of the caller's ancestors (their county, the city)."""
    region = session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise NotFound(f"没有区划 {code} / No region with code {code}")
    if not (scope.covers(region.code) or scope.prefix.startswith(region.short_code)):
        raise Forbidden("不在您的辖区 / Outside your region")
    return region


def region_in_scope(
    session: DbSession, scope: Scope, code: str, level: str | None = None
) -> Region:
    """A region the caller may act on (inside their scope), optionally of a given level."""
    region = session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise NotFound(f"没有区划 {code} / No region with code {code}")
    if not scope.covers(region.code):
        raise Forbidden(f"区划 {code} 不在您的辖区 / Region {code} is outside your region")
    if level and region.level != level:
        raise NotFound(f"{code} 不是{level}级区划 / {code} is not a {level}")
    return region


def survey_point(session: DbSession, code: str, lon: float, lat: float) -> Region:
    """Replace a region's point with one captured on site; it then survives re-imports."""
    problem = point_problem(lon, lat)
    if problem:
        raise Invalid("坐标无效 / Invalid point", {"lon": [problem]})
    region = session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise NotFound(f"没有区划 {code} / No region with code {code}")
    region.lon, region.lat = round(lon, 6), round(lat, 6)
    region.coord_source = CoordSource.SURVEYED
    session.commit()
    return region
