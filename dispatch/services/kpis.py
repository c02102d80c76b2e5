"""KPIs computed from the rows themselves, per county, township or agent and per period.

Nothing is typed in: every figure is counted from cases, their history and custody, the
published plans and their stop reports, appointments, ratings and rectifications. The rows
of a region and period are read once and grouped in Python; a city-month is a few thousand
rows, which is cheaper than one query per unit and figure.

Figures that describe a state rather than events (open cases overdue, documents held too
long) are counted as of the end of the period, or now if the period has not ended; they use
the rows as they stand, so for a past period they are today's open cases seen from then.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dispatch.errors import Forbidden, Invalid
from dispatch.models.agents import Agent, Appointment, AppointmentStatus
from dispatch.models.applicants import Applicant
from dispatch.models.cases import Case, CustodyEvent, HolderKind, Status, StatusChange
from dispatch.models.plans import Plan, PlanRoute, PlanStatus, PlanStop, StopEvent, StopStatus
from dispatch.models.ratings import LEVEL_NAMES, Level, Rating, Rectification
from dispatch.models.regions import Level as RegionLevel
from dispatch.models.regions import Region, township_code
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope
from dispatch.services.rectification import closed_on_time
from dispatch.workdays import CST, cst_date, working_days_between

LEVELS = ("city", "county", "township", "agent")
READERS = {Role.ADMIN, Role.SUPERVISOR, Role.DISPATCHER, Role.AGENT}
DONE = (Status.DELIVERED, Status.CLOSED)
NOT_YET = {Status.DELIVERED, Status.CLOSED, Status.CANCELLED}


@dataclass(frozen=True)
class Period:
    kind: str  # day / week / month / year
    label: str
    start: date
    end: date  # inclusive

    @property
    def start_utc(self) -> datetime:
        return datetime.combine(self.start, time(), CST).astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), CST).astimezone(UTC)

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= cst_date(moment) <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_period(text: str) -> Period:
    """``2026-11-25`` (day), ``2026-W48`` (ISO week), ``2026-11`` (month) or ``2026`` (year)."""
    try:
        if m := re.fullmatch(r"(\d{4})-W(\d{2})", text):
            start = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return Period("week", text, start, start + timedelta(days=6))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            return Period("day", text, day, day)
        if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
            start = date(int(m[1]), int(m[2]), 1)
            nxt = date(start.year + start.month // 12, start.month % 12 + 1, 1)
            return Period("month", text, start, nxt - timedelta(days=1))
        if re.fullmatch(r"\d{4}", text):
            return Period("year", text, date(int(text), 1, 1), date(int(text), 12, 31))
    except ValueError:
        pass
    raise Invalid(
        "统计期无效 / Unknown period",
        {"period": ["2026-11-25 (day), 2026-W48 (week), 2026-11 (month) or 2026 (year)"]},
    )


@dataclass(frozen=True)
class Unit:
    level: str
    code: str  # region code, or the agent's township code
    name: str
    agent_id: int | None = None

    @property
    def prefix(self) -> str:
        short = {"city": 4, "county": 6, "township": 9, "agent": 9}[self.level]
        return self.code[:short]


def units_for(session: DbSession, scope: Scope, level: str) -> list[Unit]:
    """The units of ``level`` inside the caller's region; an agent has only themselves."""
    if scope.role not in READERS:
        raise Forbidden("无权查看指标 / Your role cannot see KPIs")
    if level not in LEVELS:
        raise Invalid("层级无效 / Unknown level", {"level": [", ".join(LEVELS)]})
    if scope.role == Role.AGENT and level != "agent":
        raise Forbidden("代办员只能查看本人指标 / Agents see their own KPIs only (level=agent)")
    if level == "agent":
        stmt = (
            select(Agent, Region)
            .join(Region, Agent.region_id == Region.id)
            .where(Region.code.like(f"{scope.prefix}%"))
            .order_by(Region.code, Agent.id)
        )
        if scope.role == Role.AGENT:
            stmt = stmt.where(Agent.id == scope.agent_id)
        return [Unit("agent", r.code, a.name, a.id) for a, r in session.execute(stmt)]
    regions = session.scalars(
        select(Region)
        .where(Region.level == RegionLevel(level), Region.code.like(f"{scope.prefix}%"))
        .order_by(Region.code)
    ).all()
    if not regions:
        raise Invalid(
            "您的辖区内没有该层级的区划 / No region of that level inside yours",
            {"level": [f"your region is {scope.prefix or 'the city'}; pick a lower level"]},
        )
    return [Unit(level, r.code, r.name) for r in regions]


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


@dataclass
class Rows:
    """Everything one region and period needs, read once."""

    registered: list[Case]
    delivered: list[tuple[Case, datetime, int | None]]  # case, when, delivering agent
    open_cases: list[Case]
    custody: list[tuple[CustodyEvent, str]]  # hand-over, township code of its case
    visits: list[tuple[PlanStop, int, datetime | None]]  # stop, agent, first report
    missed: list[tuple[Appointment, str]]
    routes: list[PlanRoute]
    plans: list[Plan]
    ratings: list[Rating]
    rects: list[Rectification]
    as_of: datetime
    # Documents held by one agent longer than this many working days are flagged.
    hold_days: int


def load_rows(session: DbSession, prefix: str, period: Period) -> Rows:
    s, lo, hi = session, period.start_utc, period.end_utc
    like = f"{prefix}%"
    now = datetime.now(UTC)
    as_of = min(hi, now)
    registered = s.scalars(
        select(Case)
        .join(Case.village)
        .where(Region.code.like(like), Case.registered_at >= lo, Case.registered_at < hi)
        .options(selectinload(Case.item), selectinload(Case.village))
    ).all()
    delivered_rows = s.execute(
        select(Case, StatusChange.at)
        .join(StatusChange, StatusChange.case_id == Case.id)
        .join(Case.village)
        .where(
            Region.code.like(like),
            StatusChange.to_status == Status.DELIVERED,
            StatusChange.at >= lo,
            StatusChange.at < hi,
        )
        .options(selectinload(Case.item), selectinload(Case.village))
    ).all()
    handbacks = _delivering_agents(s, [c.id for c, _ in delivered_rows])
    open_cases = s.scalars(
        select(Case)
        .join(Case.village)
        .where(Region.code.like(like), Case.status.not_in([x.value for x in NOT_YET]))
        .options(selectinload(Case.village), selectinload(Case.custody))
    ).all()
    custody = s.execute(
        select(CustodyEvent, Region.code)
        .join(Case, CustodyEvent.case_id == Case.id)
        .join(Region, Case.village_id == Region.id)
        .where(Region.code.like(like), CustodyEvent.at >= lo, CustodyEvent.at < hi)
    ).all()
    plans = s.scalars(
        select(Plan)
        .join(Plan.township)
        .where(Region.code.like(like), Plan.day >= period.start, Plan.day <= period.end)
    ).all()
    published = [p.id for p in plans if p.status == PlanStatus.PUBLISHED]
    routes = s.scalars(
        select(PlanRoute)
        .where(PlanRoute.plan_id.in_(published))
        .options(selectinload(PlanRoute.stops), selectinload(PlanRoute.plan))
    ).all()
    visits = _visits(s, routes)
    missed = s.execute(
        select(Appointment, Region.code)
        .join(Applicant, Appointment.applicant_id == Applicant.id)
        .join(Region, Region.id == Applicant.village_id)
        .where(
            Region.code.like(like),
            Appointment.status == AppointmentStatus.MISSED,
            Appointment.window_start >= lo,
            Appointment.window_start < hi,
        )
    ).all()
    ratings = s.scalars(
        select(Rating).where(
            Rating.township_code.like(like),
            Rating.rated_at >= lo,
            Rating.rated_at < hi,
            Rating.removed_at.is_(None),
        )
    ).all()
    rects = s.scalars(
        select(Rectification)
        .join(Rectification.rating)
        .where(
            Rectification.township_code.like(like),
            Rectification.close_due >= period.start,
            Rectification.close_due <= period.end,
            Rating.removed_at.is_(None),
        )
    ).all()
    return Rows(
        list(registered),
        [(c, at, handbacks.get(c.id)) for c, at in delivered_rows],
        list(open_cases),
        [(e, code) for e, code in custody],
        visits,
        [(a, code) for a, code in missed],
        list(routes),
        list(plans),
        list(ratings),
        list(rects),
        as_of,
        current_app.config["KPI_HOLD_DAYS"],
    )


def _delivering_agents(session: DbSession, case_ids: list[int]) -> dict[int, int]:
    """Per case, the agent of its last hand-over back to the applicant."""
    rows = session.execute(
        select(CustodyEvent.case_id, CustodyEvent.from_id)
        .where(
            CustodyEvent.case_id.in_(case_ids),
            CustodyEvent.to_kind == HolderKind.APPLICANT,
            CustodyEvent.from_kind == HolderKind.AGENT,
        )
        .order_by(CustodyEvent.case_id, CustodyEvent.seq)
    ).all()
    return {case_id: agent_id for case_id, agent_id in rows}


def _visits(
    session: DbSession, routes: Iterable[PlanRoute]
) -> list[tuple[PlanStop, int, datetime | None]]:
    stops = [(s, r.agent_id) for r in routes for s in r.stops if s.kind == "visit"]
    first: dict[int, datetime] = {}
    ids = [s.id for s, _ in stops]
    for stop_id, at in session.execute(
        select(StopEvent.stop_id, StopEvent.at)
        .where(StopEvent.stop_id.in_(ids), StopEvent.applied.is_(True))
        .order_by(StopEvent.at)
    ):
        first.setdefault(stop_id, at)
    return [(s, agent, first.get(s.id)) for s, agent in stops]


def _unit_filter(unit: Unit) -> Callable[[str, int | None], bool]:
    """Whether a row (its region code, its agent) belongs to the unit."""
    if unit.agent_id is not None:
        return lambda code, agent: agent == unit.agent_id
    return lambda code, agent: code.startswith(unit.prefix)


def kpis_for(unit: Unit, rows: Rows, period: Period) -> dict[str, Any]:
    mine = _unit_filter(unit)
    return {
        "unit": {
            "level": unit.level,
            "code": unit.code,
            "name": unit.name,
            "agent_id": unit.agent_id,
        },
        "cases": _cases(unit, rows, mine),
        "visits": _visit_figures(rows, mine),
        "custody": _custody(rows, mine),
        "dispatch": _dispatch(unit, rows, mine, period),
        "satisfaction": _satisfaction(rows, mine),
    }


def _cases(unit: Unit, rows: Rows, mine: Callable[[str, int | None], bool]) -> dict[str, Any]:
    delivered = [(c, at) for c, at, agent in rows.delivered if mine(c.village.code, agent)]
    # An agent registers nothing of their own: their breakdown is of what they delivered.
    basis = (
        [c for c, _ in delivered]
        if unit.agent_id
        else [c for c in rows.registered if mine(c.village.code, None)]
    )
    on_time = [c for c, at in delivered if cst_date(at) <= c.due_date]
    days = [working_days_between(cst_date(c.registered_at), cst_date(at)) for c, at in delivered]
    as_of = cst_date(rows.as_of)
    overdue = [
        c for c in rows.open_cases if c.due_date < as_of and mine(c.village.code, _holding_agent(c))
    ]
    return {
        "basis": "delivered" if unit.agent_id else "registered",
        "count": len(basis),
        "by_item": dict(Counter(c.item.code for c in basis).most_common()),
        "by_channel": dict(Counter(str(c.channel) for c in basis).most_common()),
        "delivered": len(delivered),
        "delivered_on_time": len(on_time),
        "on_time_rate": _share(len(on_time), len(delivered)),
        "mean_working_days": _mean(days),
        "open_overdue": len(overdue),
    }


def _holding_agent(case: Case) -> int | None:
    return case.holder_id if case.holder_kind == HolderKind.AGENT else None


def _visit_figures(rows: Rows, mine: Callable[[str, int | None], bool]) -> dict[str, Any]:
    visits = [(s, t) for s, agent, t in rows.visits if mine(_stop_code(s), agent)]
    reported = [(s, t) for s, t in visits if t is not None]
    inside = [
        s
        for s, t in reported
        if s.window_start and s.window_end and t and s.window_start <= t <= s.window_end
    ]
    failed = [s for s, _ in visits if s.status == StopStatus.FAILED]
    missed = [a for a, code in rows.missed if mine(code, None)]
    return {
        "planned": len(visits),
        "reported": len(reported),
        "in_window": len(inside),
        "in_window_share": _share(len(inside), len(reported)),
        "failed": len(failed),
        "missed_appointments": len(missed),
    }


def _stop_code(stop: PlanStop) -> str:
    plan = stop.route.plan
    return plan.township.code if plan.township else ""


def _custody(rows: Rows, mine: Callable[[str, int | None], bool]) -> dict[str, Any]:
    events = [
        e
        for e, code in rows.custody
        if mine(code, e.from_id if e.from_kind == HolderKind.AGENT else None)
        or mine(code, e.to_id if e.to_kind == HolderKind.AGENT else None)
    ]
    # A hand-over's receipt (交接单) is signed or photographed; a bare row is not one.
    bare = [e for e in events if not e.signature_hash and not e.photo_hash]
    as_of = cst_date(rows.as_of)
    held = [
        c
        for c in rows.open_cases
        if c.holder_kind == HolderKind.AGENT
        and mine(c.village.code, c.holder_id)
        and c.custody
        and working_days_between(cst_date(c.custody[-1].at), as_of) > rows.hold_days
    ]
    return {
        "hand_overs": len(events),
        "without_receipt": len(bare),
        "held_too_long": len(held),
        "hold_days": rows.hold_days,
    }


def _dispatch(
    unit: Unit, rows: Rows, mine: Callable[[str, int | None], bool], period: Period
) -> dict[str, Any]:
    routes = [r for r in rows.routes if mine(r.plan.township.code, r.agent_id)]
    km = sum(r.distance_m for r in routes) / 1000
    hours = (
        sum((r.end_at - r.start_at).total_seconds() for r in routes if r.start_at and r.end_at)
        / 3600
    )
    agents = {r.agent_id for r in routes}
    tasks = sum(1 for r in routes for s in r.stops if s.task_key)
    plans = [p for p in rows.plans if mine(p.township.code, None)]
    published = [p for p in plans if p.status == PlanStatus.PUBLISHED]
    all_tasks = sum(int(p.summary.get("tasks", 0)) for p in published)
    unassigned = sum(len(p.summary.get("unassigned", [])) for p in published)
    replans = sum(1 for p in plans if p.based_on_id is not None)
    plan_days = {(p.township_id, p.day) for p in plans}
    return {
        "agents": len(agents),
        "km": round(km, 1),
        "hours": round(hours, 2),
        "km_per_agent": round(km / len(agents), 1) if agents else None,
        "hours_per_agent": round(hours / len(agents), 2) if agents else None,
        "tasks": tasks,
        "tasks_per_agent_hour": round(tasks / hours, 2) if hours else None,
        # Unassigned tasks belong to nobody: no share for one agent.
        "unassigned_share": None if unit.agent_id else _share(unassigned, all_tasks),
        "replans": None if unit.agent_id else replans,
        "replans_per_day": None
        if unit.agent_id or not plan_days
        else round(replans / len(plan_days), 2),
    }


def _satisfaction(rows: Rows, mine: Callable[[str, int | None], bool]) -> dict[str, Any]:
    ratings = [r for r in rows.ratings if mine(r.township_code, r.agent_id)]
    counts = Counter(r.level for r in ratings)
    bad = [r for r in ratings if r.bad]
    rects = [x for x in rows.rects if mine(x.township_code, x.rating.agent_id)]
    called = [r for r in bad if r.rectification and r.rectification.callback_at]
    return {
        "ratings": len(ratings),
        "distribution": {LEVEL_NAMES[lv][0]: counts.get(int(lv), 0) for lv in Level},
        "by_default": sum(1 for r in ratings if r.source == "default"),
        "satisfaction_rate": _share(len(ratings) - len(bad), len(ratings)),
        "bad": len(bad),
        "bad_rate": _share(len(bad), len(ratings)),
        "rectifications_due": len(rects),
        "rectified_on_time": sum(1 for x in rects if closed_on_time(x)),
        "rectified_on_time_rate": _share(sum(1 for x in rects if closed_on_time(x)), len(rects)),
        "callback_rate": _share(len(called), len(bad)),
    }


def figures_for_townships(rows: Rows, codes: set[str], name: str) -> dict[str, Any]:
    """Cases and 好差评 of any set of townships (an assessment unit), from rows read once."""
    unit = Unit("township", "", name)

    def mine(code: str, agent: int | None) -> bool:
        return township_code(code) in codes if code else False

    return {"cases": _cases(unit, rows, mine), "satisfaction": _satisfaction(rows, mine)}


def compute_kpis(session: DbSession, scope: Scope, level: str, period: str) -> dict[str, Any]:
    """Every unit of ``level`` in the caller's region, for the period."""
    p = parse_period(period)
    units = units_for(session, scope, level)
    rows = load_rows(session, scope.prefix, p)
    return {
        "level": level,
        "period": {"kind": p.kind, "label": p.label, "start": p.start, "end": p.end},
        "as_of": rows.as_of,
        "units": [kpis_for(u, rows, p) for u in units],
    }


def public_results(session: DbSession, month: str) -> dict[str, Any]:
    """The monthly 好差评 results per county and township, for everyone: no personal data."""
    p = parse_period(month)
    if p.kind != "month":
        raise Invalid("请给出月份 / Give a month", {"month": ["like 2026-11"]})
    rows = load_rows(session, "", p)
    regions = session.scalars(
        select(Region)
        .where(Region.level.in_([RegionLevel.COUNTY, RegionLevel.TOWNSHIP]))
        .order_by(Region.code)
    ).all()
    out = []
    for region in regions:
        unit = Unit(str(region.level), region.code, region.name)
        sat = _satisfaction(rows, _unit_filter(unit))
        if region.level == RegionLevel.TOWNSHIP and not sat["ratings"]:
            continue
        keep = (
            "ratings",
            "distribution",
            "satisfaction_rate",
            "bad",
            "rectifications_due",
            "rectified_on_time",
            "rectified_on_time_rate",
        )
        out.append(
            {"level": unit.level, "code": unit.code, "name": unit.name} | {k: sat[k] for k in keep}
        )
    return {"month": p.label, "units": out}
