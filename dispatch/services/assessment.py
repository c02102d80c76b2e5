"""The county assessment (考核评议): per unit, the register at the deadline, the service KPIs,
the 好差评 results, a weighted score, and whether the unit's subsidy (奖励补助) is earned.

Units are the five counties and the management zones, read from ``ASSESSMENT_FILE`` (the
shipped one is demo data). A zone has no NBS code: it is the set of townships it manages, and
its county's unit is the county less those. The subsidy is for building the platform on time,
so the register alone decides it: every item of every township and village room done by the
deadline. The score ranks units and weighs the register, the on-time rate and satisfaction;
a part without data (no deliveries, no ratings) drops out and the others' weights are scaled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from dispatch.datafiles import read_json
from dispatch.errors import Forbidden, Invalid
from dispatch.models.regions import Level, Region
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope
from dispatch.services.kpis import figures_for_townships, load_rows, parse_period
from dispatch.services.register import completeness

PARTS = ("construction", "on_time", "satisfaction")


@dataclass(frozen=True)
class UnitConfig:
    key: str
    name: str
    kind: str  # county / zone
    subsidy: int | None  # yuan; None is self-funded
    subsidy_note: str
    county: str  # the county's code, for a county unit
    townships: tuple[str, ...]  # the zone's townships
    # Where the tier and the membership come from, and whether the city has confirmed them.
    basis: str = ""
    confirmed: bool = False


def load_config(path: Path) -> dict[str, Any]:
    data = read_json(path, required=("units", "weights", "deadline"))
    data["units"] = [
        UnitConfig(
            u["key"],
            u["name"],
            u["kind"],
            u.get("subsidy"),
            u.get("subsidy_note", ""),
            u.get("county", ""),
            tuple(u.get("townships", [])),
            u.get("basis", ""),
            bool(u.get("confirmed", False)),
        )
        for u in data["units"]
    ]
    return data


def _townships(session: DbSession, units: list[UnitConfig]) -> dict[str, list[Region]]:
    towns = list(session.scalars(select(Region).where(Region.level == Level.TOWNSHIP)))
    zoned = {code for u in units if u.kind == "zone" for code in u.townships}
    out: dict[str, list[Region]] = {}
    for u in units:
        if u.kind == "zone":
            out[u.key] = [t for t in towns if t.code in u.townships]
        else:
            prefix = u.county[:6]
            out[u.key] = [t for t in towns if t.code.startswith(prefix) and t.code not in zoned]
    return out


def _score(parts: dict[str, float | None], weights: dict[str, float]) -> float | None:
    have = {k: v for k, v in parts.items() if v is not None}
    total = sum(weights[k] for k in have)
    if not total:
        return None
    return round(sum(weights[k] * v * 100 for k, v in have.items()) / total, 1)


def assess(session: DbSession, scope: Scope, year: int) -> dict[str, Any]:
    """Every unit the caller's region touches: the city sees all, a county its own and zones."""
    if scope.role not in {Role.ADMIN, Role.SUPERVISOR}:
        raise Forbidden("考核由市、县（区）查看 / The assessment is for the city and the counties")
    if len(scope.prefix) > 6:
        raise Forbidden("考核由市、县（区）查看 / The assessment is for the city and the counties")
    if not 2020 <= year <= 2100:
        raise Invalid("年份无效 / Unknown year", {"year": ["like 2026"]})
    cfg = load_config(Path(current_app.config["ASSESSMENT_FILE"]))
    month, day = (int(x) for x in cfg["deadline"].split("-"))
    deadline = date(year, month, day)
    weights = {k: float(cfg["weights"][k]) for k in PARTS}
    towns = _townships(session, cfg["units"])
    rows = load_rows(session, scope.prefix, parse_period(str(year)))
    out = []
    for unit in cfg["units"]:
        mine = [t for t in towns[unit.key] if t.code.startswith(scope.prefix)]
        if not mine:
            continue
        out.append(_unit(session, unit, mine, rows, deadline, weights))
    return {
        "year": year,
        "deadline": deadline,
        "demo": bool(cfg.get("demo")),
        "note": cfg.get("note", ""),
        "weights": weights,
        "units": out,
        "subsidy_total": sum(u["subsidy_amount"] for u in out),
    }


def _unit(
    session: DbSession,
    unit: UnitConfig,
    towns: list[Region],
    rows: Any,
    deadline: date,
    weights: dict[str, float],
) -> dict[str, Any]:
    reg = completeness(session, towns, deadline)
    figures = figures_for_townships(rows, {t.code for t in towns}, unit.name)
    cases, sat = figures["cases"], figures["satisfaction"]
    parts = {
        "construction": reg.share,
        "on_time": cases["on_time_rate"],
        "satisfaction": sat["satisfaction_rate"],
    }
    qualifies = reg.complete
    return {
        "key": unit.key,
        "name": unit.name,
        "kind": unit.kind,
        "townships": [t.code for t in towns],
        "construction": {
            "items": reg.items,
            "done": reg.done,
            "share": reg.share,
            "villages": reg.villages,
            "villages_complete": reg.villages_complete,
            "townships": reg.townships,
            "townships_complete": reg.townships_complete,
            "complete": reg.complete,
        },
        "cases": cases,
        "ratings": sat,
        "parts": parts,
        "score": _score(parts, weights),
        "subsidy_tier": unit.subsidy,
        "subsidy_note": unit.subsidy_note or ("" if unit.subsidy else "自筹 / self-funded"),
        "basis": unit.basis,
        "confirmed": unit.confirmed,
        "qualifies": qualifies,
        "subsidy_amount": unit.subsidy if qualifies and unit.subsidy else 0,
        "missing": reg.missing,
    }
