"""Store a solved problem as a versioned plan with routes, stops and a summary."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

import routing
from dispatch.models.agents import Agent
from dispatch.models.cases import OPEN, Case
from dispatch.models.plans import Plan, PlanRoute, PlanStop
from dispatch.models.regions import Region
from dispatch.models.session import DbSession
from dispatch.planning.build import Built
from dispatch.planning.labels import STEPS, english_label, stop_label
from dispatch.planning.predict import arrival_date, predict
from dispatch.planning.tasks import DayContext, Place, TaskSpec
from dispatch.workdays import CST


def at(day: date, secs: int) -> datetime:
    return datetime.combine(day, time(0), tzinfo=CST) + timedelta(seconds=int(secs))


def next_version(session: DbSession, township_id: int, day: date) -> int:
    latest = session.scalar(
        select(func.max(Plan.version)).where(Plan.township_id == township_id, Plan.day == day)
    )
    return (latest or 0) + 1


def store_plan(
    session: DbSession,
    ctx: DayContext,
    built: Built,
    solution: routing.Solution,
    *,
    objective: str,
    tasks: list[TaskSpec],
    reason: str = "",
    user_id: int | None = None,
    based_on: Plan | None = None,
) -> Plan:
    plan = Plan(
        township_id=ctx.township.id,
        day=ctx.day,
        version=next_version(session, ctx.township.id, ctx.day),
        objective=objective,
        problem=routing.problem_to_vroom(built.problem),
        solution=routing.solution_to_vroom(solution),
        reason=reason,
        created_by_id=user_id,
        based_on_id=based_on.id if based_on else None,
    )
    session.add(plan)
    cases = {
        c.id: c
        for c in session.scalars(
            select(Case).where(Case.id.in_({cid for t in tasks for cid in t.case_ids}))
        )
    }
    hub = Place(ctx.centre.lon, ctx.centre.lat, ctx.centre.name, centre_id=ctx.centre.id)
    for route in solution.routes:
        if not any(s.type in ("job", "pickup", "delivery") for s in route.steps):
            continue
        plan.routes.append(_route(ctx, built, route, cases, hub))
    plan.summary = summarise(ctx, built, solution)
    _predict(session, ctx, plan)
    return plan


def _predict(session: DbSession, ctx: DayContext, plan: Plan) -> None:
    """Refresh every open case's predicted date in the township, and why it waits."""
    cases = session.scalars(
        select(Case)
        .join(Case.village)
        .where(
            Region.code.like(f"{ctx.township.short_code}%"),
            Case.status.in_([s.value for s in OPEN]),
        )
        .options(selectinload(Case.item), selectinload(Case.custody))
    )
    planned = {c.id for r in plan.routes for s in r.stops for c in s.cases}
    unplaced = {
        cid: u["reason_text"] or u["reason"]
        for u in plan.summary["unassigned"]
        for cid in u["case_ids"]
    }
    for case in cases:
        case.predicted_date = predict(case, ctx.day, case.id in planned, arrival_date(case))
        case.waiting_reason = (
            f"今日未排入：{unplaced[case.id]}，顺延至下一工作日 / not planned today "
            f"({unplaced[case.id]}); rolls to the next working day"
            if case.id in unplaced
            else ctx.waiting.get(case.id, "")
        )


def _route(
    ctx: DayContext, built: Built, route: routing.Route, cases: dict[int, Case], hub: Place
) -> PlanRoute:
    agent_id = built.vehicle_agent[route.vehicle]
    row = PlanRoute(
        agent_id=agent_id,
        vehicle_id=route.vehicle,
        distance_m=route.distance,
        travel_s=route.duration,
    )
    for seq, step in enumerate(route.steps):
        row.stops.append(_stop(ctx.day, built, step, seq, cases, hub))
    row.start_at, row.end_at = row.stops[0].arrival, row.stops[-1].departure
    return row


def _stop(
    day: date, built: Built, step: routing.Step, seq: int, cases: dict[int, Case], hub: Place
) -> PlanStop:
    arrival = at(day, step.arrival)
    departure = at(day, step.arrival + step.waiting_time + step.setup + step.service)
    if step.type in ("start", "end", "break"):
        label = STEPS[step.type][0]
        lon, lat = step.location if step.location else (hub.lon, hub.lat)
        return PlanStop(
            seq=seq,
            kind=step.type,
            label=label,
            lon=lon,
            lat=lat,
            centre_id=hub.centre_id if step.type != "break" else None,
            arrival=arrival,
            departure=departure,
            cases=[],  # known empty: reading it later must not query
        )
    assert step.id is not None
    task, role = built.task_of[step.id]
    place = built.places[step.id]
    window = place.windows
    action = {"pickup": "collect", "delivery": "hand_over"}.get(role, task.action)
    if task.action == "visit":
        action = "visit" if role != "delivery" else "hand_over"
    elif task.action == "ride":
        action = "ride"  # the applicant rides home: nothing changes hands
    if task.carried:  # the rest of a shipment picked up before a re-plan
        role, action = "delivery", task.action
    stop = PlanStop(
        seq=seq,
        kind=role if role != "job" else "visit" if task.action == "visit" else "job",
        task_key=task.key,
        label=stop_label(task.label, role),
        lon=place.lon,
        lat=place.lat,
        village_id=place.village_id,
        centre_id=place.centre_id,
        applicant_id=place.applicant_id,
        arrival=arrival,
        departure=departure,
        action=action,
        window_start=_window_edge(day, window, arrival, 0),
        window_end=_window_edge(day, window, arrival, 1),
    )
    stop.cases = [cases[cid] for cid in task.case_ids if cid in cases]
    return stop


def _window_edge(
    day: date, windows: tuple[tuple[int, int], ...], arrival: datetime, edge: int
) -> datetime | None:
    """The edge of the window the stop falls in (or the first one)."""
    if not windows:
        return None
    secs = (arrival - at(day, 0)).total_seconds()
    chosen = next((w for w in windows if w[0] <= secs <= w[1]), windows[0])
    return at(day, chosen[edge])


def summarise(ctx: DayContext, built: Built, solution: routing.Solution) -> dict[str, Any]:
    """Per-agent hours and km, the spread between them, and unassigned tasks with reasons."""
    per_agent: list[dict[str, Any]] = []
    for route in solution.routes:
        tasks = [s for s in route.steps if s.type in ("job", "pickup", "delivery")]
        if not tasks:
            continue
        start, end = route.steps[0].arrival, route.steps[-1].arrival
        agent_id = built.vehicle_agent[route.vehicle]
        per_agent.append(
            {
                "agent_id": agent_id,
                "agent": ctx.agent_names[agent_id],
                "vehicle_id": route.vehicle,
                "stops": len(tasks),
                "hours": round((end - start) / 3600, 2),
                "travel_hours": round(route.duration / 3600, 2),
                "km": round(route.distance / 1000, 1),
            }
        )
    hours = [a["hours"] for a in per_agent] or [0.0]
    unassigned = []
    for u in solution.unassigned:
        task, role = built.task_of[u.id]
        if role == "delivery":
            continue
        unassigned.append(
            {
                "task_key": task.key,
                "label": task.label,
                "label_en": english_label(task.label),
                "reason": u.reason,
                "reason_text": u.reason_text,
                "case_ids": list(task.case_ids),
                "priority": task.priority,
            }
        )
    return {
        "agents": per_agent,
        "agents_on_shift": len(built.vehicle_agent),
        "agents_off": built.off_shift,
        "tasks": len({t.key for t, _ in built.task_of.values()}),
        "planned": len({t.key for t, _ in built.task_of.values()}) - len(unassigned),
        "unassigned": unassigned,
        "km": round(sum(a["km"] for a in per_agent), 1),
        "longest_hours": max(hours),
        "spread_hours": round(max(hours) - min(hours), 2),
        "waiting": {str(k): v for k, v in ctx.waiting.items()},
    }


def agent_names(session: DbSession, ids: list[int]) -> dict[int, str]:
    return {a.id: a.name for a in session.scalars(select(Agent).where(Agent.id.in_(ids)))}
