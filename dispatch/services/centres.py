"""Service centres: their weekly hours, closed days and the spans they are open on a day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, or_, select

from dispatch.errors import Conflict, Invalid, NotFound
from dispatch.hours import spans_on
from dispatch.models.centres import ClosedDay, ServiceCentre
from dispatch.models.regions import Region
from dispatch.models.session import DbSession
from dispatch.models.users import Scope
from dispatch.services.scoping import ancestor_codes, field_region, in_region, one_or_404, writable


def scoped_centres(scope: Scope) -> Select[Any]:
    """Centres in the caller's region, and those above it they hand documents to."""
    return (
        select(ServiceCentre)
        .join(ServiceCentre.region)
        .where(or_(in_region(scope), Region.code.in_(ancestor_codes(scope))))
    )


def list_centres(scope: Scope, kind: str | None = None, region: str | None = None) -> Select[Any]:
    stmt = scoped_centres(scope)
    if kind:
        stmt = stmt.where(ServiceCentre.kind == kind)
    if region:
        stmt = stmt.where(Region.code.like(f"{_short(region)}%"))
    return stmt.order_by(ServiceCentre.id)


def _short(code: str) -> str:
    """A code's natural prefix: 445203103000 -> 445203103."""
    for n in (4, 6, 9):
        if code[n:].strip("0") == "":
            return code[:n]
    return code


def get_centre(session: DbSession, scope: Scope, centre_id: int) -> ServiceCentre:
    stmt = scoped_centres(scope).where(ServiceCentre.id == centre_id)
    return one_or_404(session, stmt, "服务中心 centre", centre_id)  # type: ignore[no-any-return]


def create_centre(session: DbSession, scope: Scope, region: str, **fields: Any) -> ServiceCentre:
    """A centre's kind is the level of the region it serves."""
    place = field_region(session, scope, region, "region")
    if fields["kind"] != place.level:
        raise Invalid(
            "中心类型与区划不符 / Kind does not match the region",
            {"kind": [f"{region} is a {place.level}"]},
        )
    centre = ServiceCentre(region_id=place.id, **fields)
    session.add(centre)
    session.commit()
    return centre


def update_centre(
    session: DbSession, scope: Scope, centre: ServiceCentre, **fields: Any
) -> ServiceCentre:
    writable(scope, centre.region.code)
    if ("lon" in fields) != ("lat" in fields):
        raise Invalid("经纬度须同时给出 / Give both lon and lat", {"lon": ["needs lat too"]})
    for key, value in fields.items():
        setattr(centre, key, value)
    session.commit()
    return centre


def add_closed_day(
    session: DbSession, scope: Scope, centre: ServiceCentre, day: date, reason: str = ""
) -> ClosedDay:
    writable(scope, centre.region.code)
    if any(c.day == day for c in centre.closed_days):
        raise Conflict(f"{day} 已是闭馆日 / {day} is already a closed day")
    closed = ClosedDay(centre=centre, day=day, reason=reason)
    session.add(closed)
    session.commit()
    return closed


def remove_closed_day(session: DbSession, scope: Scope, centre: ServiceCentre, day: date) -> None:
    writable(scope, centre.region.code)
    closed = next((c for c in centre.closed_days if c.day == day), None)
    if closed is None:
        raise NotFound(f"{day} 不是闭馆日 / {day} is not a closed day of this centre")
    session.delete(closed)
    session.commit()


def open_spans(centre: ServiceCentre, day: date) -> list[dict[str, datetime]]:
    """Open spans on ``day`` in CST, after holidays, 调休 days and the centre's closed days."""
    closed = {c.day for c in centre.closed_days}
    spans = spans_on(centre.opening_hours, day, closed, centre.follows_holidays)
    return [{"start": a, "end": b} for a, b in spans]
