"""The construction register: reading a township's rooms, county staff recording an item, and
the completeness of a set of townships at a deadline (the assessment reads that)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from dispatch.errors import Forbidden, Invalid, NotFound
from dispatch.models.regions import Level, Region, township_code
from dispatch.models.register import ITEM_NAMES, TOWNSHIP_ITEMS, VILLAGE_ITEMS, RegisterEntry
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope
from dispatch.workdays import cst_date

READERS = {Role.ADMIN, Role.SUPERVISOR, Role.DISPATCHER}
VILLAGE_KEYS = tuple(k for k, _, _ in VILLAGE_ITEMS)
TOWNSHIP_KEYS = tuple(k for k, _, _ in TOWNSHIP_ITEMS)
KEYS_OF = {Level.VILLAGE: VILLAGE_KEYS, Level.TOWNSHIP: TOWNSHIP_KEYS}


def _item_rows(keys: tuple[str, ...], entries: dict[str, RegisterEntry]) -> list[dict[str, Any]]:
    out = []
    for key in keys:
        e = entries.get(key)
        out.append(
            {
                "item": key,
                "zh": ITEM_NAMES[key][0],
                "en": ITEM_NAMES[key][1],
                "completed_on": e.completed_on if e else None,
                "note": e.note if e else "",
                "updated_at": e.updated_at if e else None,
                "updated_by_id": e.updated_by_id if e else None,
            }
        )
    return out


def _place(region: Region, entries: dict[str, RegisterEntry]) -> dict[str, Any]:
    items = _item_rows(KEYS_OF[Level(region.level)], entries)
    return {
        "code": region.code,
        "name": region.name,
        "level": str(region.level),
        "items": items,
        "missing": [i["item"] for i in items if i["completed_on"] is None],
    }


def township_register(session: DbSession, scope: Scope, code: str) -> dict[str, Any]:
    """One township and each of its village rooms, item by item, with completion dates."""
    if scope.role not in READERS:
        raise Forbidden("无权查看建设台账 / Your role cannot see the construction register")
    town = session.scalar(
        select(Region).where(Region.code == township_code(code), Region.level == Level.TOWNSHIP)
    )
    if town is None or not town.code.startswith(scope.prefix):
        raise NotFound(f"没有乡镇 {code}，或不在您的辖区 / No township {code} in your scope")
    places = [town, *session.scalars(_villages(town.short_code))]
    entries = _entries(session, [p.id for p in places])
    rows = [_place(p, entries.get(p.id, {})) for p in places]
    return {
        "township": rows[0],
        "villages": rows[1:],
        "complete": not any(r["missing"] for r in rows),
    }


def _villages(prefix: str) -> Any:
    return (
        select(Region)
        .where(Region.level == Level.VILLAGE, Region.code.like(f"{prefix}%"))
        .order_by(Region.code)
    )


def _entries(session: DbSession, region_ids: list[int]) -> dict[int, dict[str, RegisterEntry]]:
    out: dict[int, dict[str, RegisterEntry]] = {}
    for e in session.scalars(select(RegisterEntry).where(RegisterEntry.region_id.in_(region_ids))):
        out.setdefault(e.region_id, {})[e.item] = e
    return out


def _lookup(
    session: DbSession, scope: Scope, code: str, item: str, writing: bool
) -> tuple[Region, RegisterEntry | None]:
    """The region and its entry for ``item`` (None: never recorded); 403, 404, 422 else."""
    county = scope.role == Role.SUPERVISOR and len(scope.prefix) == 6
    if writing and not (county or scope.role == Role.ADMIN):
        raise Forbidden("建设台账由县（区）工作人员填报 / County staff keep the register")
    if scope.role not in READERS:
        raise Forbidden("无权查看建设台账 / Your role cannot see the construction register")
    region = session.scalar(select(Region).where(Region.code == code))
    if region is None or not region.code.startswith(scope.prefix):
        raise NotFound(f"没有区划 {code}，或不在您的辖区 / No region {code} in your scope")
    keys = KEYS_OF.get(Level(region.level))
    if keys is None or item not in keys:
        allowed = ", ".join(keys) if keys else "none: only villages and townships"
        raise Invalid(
            f"{region.name}没有此项 / No such item for a {region.level}", {"item": [allowed]}
        )
    stmt = select(RegisterEntry).where(
        RegisterEntry.region_id == region.id, RegisterEntry.item == item
    )
    # A writer locks the row until its commit: a second writer holding the same ETag waits,
    # then reads the new row and gets its 412 (two first records collide on the unique key).
    return region, session.scalar(stmt.with_for_update() if writing else stmt)


def _recorded(region: Region, item: str, entry: RegisterEntry | None) -> dict[str, Any]:
    entries = {item: entry} if entry else {}
    return _place(region, entries) | {"item": _item_rows((item,), entries)[0]}


def register_item(
    session: DbSession, scope: Scope, code: str, item: str, writing: bool = False
) -> dict[str, Any]:
    """One item of a place as it stands (its ETag guards a PUT); ``writing`` checks the
    caller may change it, so a reader's PUT is a 403 before any If-Match question."""
    region, entry = _lookup(session, scope, code, item, writing)
    return _recorded(region, item, entry)


def record_item(
    session: DbSession,
    scope: Scope,
    code: str,
    item: str,
    completed_on: date | None,
    note: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """County staff record an item done on a date (or not done: None); who and when are kept."""
    region, entry = _lookup(session, scope, code, item, writing=True)
    now = now or datetime.now(UTC)
    if completed_on is not None and completed_on > cst_date(now):
        raise Invalid(
            "完成日期不能晚于今天 / The completion date cannot be in the future",
            {"completed_on": [f"on or before {cst_date(now)}"]},
        )
    if entry is None:
        entry = RegisterEntry(region_id=region.id, item=item)
        session.add(entry)
    entry.completed_on, entry.note = completed_on, note.strip()
    entry.updated_at, entry.updated_by_id = now, scope.user_id
    session.commit()
    return _recorded(region, item, entry)


@dataclass
class Completeness:
    """The register of a set of townships at a deadline."""

    items: int = 0
    done: int = 0
    villages: int = 0
    villages_complete: int = 0
    townships: int = 0
    townships_complete: int = 0
    missing: list[dict[str, Any]] = field(default_factory=list)  # places with items to do

    @property
    def share(self) -> float | None:
        return round(self.done / self.items, 4) if self.items else None

    @property
    def complete(self) -> bool:
        return self.items > 0 and self.done == self.items


def _done_by(entry: RegisterEntry | None, deadline: date) -> bool:
    on = entry.completed_on if entry else None
    return on is not None and on <= deadline


def completeness(session: DbSession, townships: list[Region], deadline: date) -> Completeness:
    """Items completed on or before ``deadline``; each place still missing one, with what."""
    out = Completeness()
    places: list[Region] = []
    for town in townships:
        places += [town, *session.scalars(_villages(town.short_code))]
    entries = _entries(session, [p.id for p in places])
    for place in places:
        keys = KEYS_OF[Level(place.level)]
        got = entries.get(place.id, {})
        done = [k for k in keys if _done_by(got.get(k), deadline)]
        missing = [k for k in keys if k not in done]
        village = place.level == Level.VILLAGE
        out.items += len(keys)
        out.done += len(done)
        out.villages += village
        out.townships += not village
        out.villages_complete += village and not missing
        out.townships_complete += not village and not missing
        if missing:
            out.missing.append(
                {"code": place.code, "name": place.name, "level": str(place.level)}
                | {"missing": missing, "missing_zh": [ITEM_NAMES[k][0] for k in missing]}
            )
    return out
