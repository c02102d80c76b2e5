"""Region scoping shared by the services: what the caller may see, and what a body may name."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, select

from dispatch.errors import Forbidden, Invalid, NotFound
from dispatch.models.regions import Region
from dispatch.models.session import DbSession
from dispatch.models.users import Scope

T = TypeVar("T")


def in_region(scope: Scope) -> ColumnElement[bool]:
    """A filter on ``Region.code``: the caller's region and everything below it."""
    return Region.code.like(f"{scope.prefix}%")


def ancestor_codes(scope: Scope) -> list[str]:
    """Full codes of the regions above the caller's (their township, county, the city)."""
    return [scope.prefix[:n].ljust(12, "0") for n in (4, 6, 9) if n < len(scope.prefix)]


def one_or_404(session: DbSession, stmt: Select[Any], what: str, ident: object) -> Any:
    """The one row of a scoped query; out of scope reads as not found, so nothing leaks."""
    row = session.scalar(stmt)
    if row is None:
        raise NotFound(f"没有{what} {ident}，或不在您的辖区 / No {what} {ident} in your scope")
    return row


def field_region(
    session: DbSession, scope: Scope, code: str, field: str, levels: set[str] | None = None
) -> Region:
    """The region a body field names: it must exist, lie in scope and be of the right level."""
    region = session.scalar(select(Region).where(Region.code == code))
    if region is None or not scope.covers(region.code):
        raise Invalid(
            "未知区划或不在辖区 / Unknown region, or outside your region",
            {field: [f"no region {code} in your scope"]},
        )
    if levels and region.level not in levels:
        need = "/".join(sorted(levels))
        raise Invalid(
            "区划级别不符 / Wrong region level",
            {field: [f"{code} is a {region.level}; needs a {need}"]},
        )
    return region


def writable(scope: Scope, code: str) -> None:
    """Refuse a change to something in a region the caller can read but not change."""
    if not scope.covers(code):
        raise Forbidden(f"{code} 不在您的辖区 / {code} is outside your region; read-only")
