"""Plans as the API sees them: scoped reads, planning jobs, publishing and re-planning."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select

from dispatch.errors import Forbidden, Invalid, NotFound, Unavailable
from dispatch.models.agents import Agent
from dispatch.models.cases import Case
from dispatch.models.plans import (
    NOT_STARTED,
    Job,
    Override,
    Plan,
    PlanRoute,
    PlanStatus,
)
from dispatch.models.regions import Region
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope
from dispatch.planning import manual, runner
from dispatch.planning import service as planning
from dispatch.planning.locks import lock_township_plans
from dispatch.planning.runner import CitySummary, heaviest_first, townships_with_centres
from dispatch.planning.views import located_view, plan_view, task_names
from dispatch.services.regions import region_in_scope
from dispatch.workdays import CST

PLANNERS = {Role.ADMIN, Role.DISPATCHER}
PLAN_HORIZON = timedelta(days=60)


def list_plans(
    scope: Scope, township: str | None = None, day: date | None = None, status: str | None = None
) -> Select[Plan]:
    stmt = select(Plan).join(Plan.township).where(Region.code.like(f"{scope.prefix}%"))
    if scope.role == Role.AGENT:
        stmt = stmt.where(
            Plan.status == PlanStatus.PUBLISHED,
            Plan.routes.any(PlanRoute.agent_id == scope.agent_id),
        )
    if township:
        stmt = stmt.where(Region.code == township)
    if day:
        stmt = stmt.where(Plan.day == day)
    if status:
        stmt = stmt.where(Plan.status == status)
    return stmt.order_by(Plan.day.desc(), Region.code, Plan.version.desc())


def get_plan(session: DbSession, scope: Scope, plan_id: int) -> Plan:
    plan = session.scalar(list_plans(scope).where(Plan.id == plan_id))
    if plan is None:
        raise NotFound(f"没有计划 {plan_id}，或不在您的辖区 / No plan {plan_id} in your scope")
    return plan


def routing_document(session: DbSession, scope: Scope, plan: Plan, which: str) -> Any:
    """The plan's problem or solution in VROOM's JSON, home points shown by role."""
    document = plan.problem if which == "problem" else plan.solution
    return located_view(session, plan, scope.role, document)


def view(session: DbSession, scope: Scope, plan: Plan) -> dict[str, Any]:
    only = scope.agent_id if scope.role == Role.AGENT else None
    return plan_view(session, plan, scope, only_agent=only)


def _planner(scope: Scope) -> None:
    if scope.role not in PLANNERS:
        raise Forbidden("只有调度员可以调整计划 / Only a dispatcher can change plans")


def start_planning(
    session: DbSession, scope: Scope, township: str | None, day: date, objective: str
) -> Job:
    """Start a planning job for one township, or every township in the caller's region: the
    job's row in one commit; it starts once committed (``dispatch.jobs.runner``)."""
    _planner(scope)
    if township:
        region_in_scope(session, scope, township, level="township")
        codes = [township]
    else:
        codes = heaviest_first(session, townships_with_centres(session, scope.prefix))
    if not codes:
        raise Invalid(
            "辖区内没有可规划的乡镇 / No township with a centre in your region",
            {"township": ["give a township code"]},
        )
    today = datetime.now(CST).date()
    if day < today:
        raise Invalid("不能规划过去的日期 / Cannot plan a past day", {"day": [str(day)]})
    if day > today + PLAN_HORIZON:
        raise Invalid(
            f"最多提前{PLAN_HORIZON.days}天规划 / Plan at most {PLAN_HORIZON.days} days ahead",
            {"day": [str(day)]},
        )
    job = Job(
        id=str(uuid.uuid4()),
        kind="plan",
        total=len(codes),
        region_prefix=scope.prefix,
        params={
            "codes": codes,
            "day": day.isoformat(),
            "objective": objective,
            "time_limit": time_limit(),
        },
    )
    session.add(job)
    session.commit()
    why = session.info.pop(NOT_STARTED, {}).get(job.id)
    if why:
        raise Unavailable(why, job_id=job.id)
    return job


def plan_city(session: DbSession, day: date, **options: Any) -> CitySummary:
    """Plan (and publish) the day of every township named (``runner.plan_city``'s options).

    The use case's transactions: one per township, committed as each township's plan is
    stored, so a failure in a later township keeps the ones done and a poller sees them.
    """
    return runner.plan_city(session, day, commit=session.commit, **options)


def time_limit() -> float:
    """The solver's time per township, from the app's configuration."""
    return float(current_app.config["PLAN_TIME_LIMIT_S"])


def publish(session: DbSession, scope: Scope, plan: Plan) -> dict[str, Any]:
    """Publish a draft over the version it was planned from (else a 409); one commit."""
    _planner(scope)
    told = planning.publish(session, plan)
    session.commit()
    return {"plan_id": plan.id, "version": plan.version, "notified_agents": told}


def rebase(session: DbSession, scope: Scope, plan: Plan) -> dict[str, Any]:
    """A stale draft re-planned on the version published now, as a new draft to publish."""
    _planner(scope)
    stale = plan.version
    new = planning.rebase(session, plan, user_id=scope.user_id, time_limit=time_limit())
    session.commit()
    return {
        "plan_id": new.id,
        "version": new.version,
        "status": new.status,
        "based_on_version": new.based_on.version if new.based_on else None,
        "rebased_from_version": stale,
    }


def replan(
    session: DbSession, scope: Scope, plan: Plan, reason: str, objective: str | None = None
) -> dict[str, Any]:
    """A new draft around what is done; the dispatcher publishes it."""
    _planner(scope)
    new = planning.replan(
        session,
        plan,
        reason=reason or "调度员重新规划 / re-plan",
        time_limit=time_limit(),
        user_id=scope.user_id,
        publish_now=False,
        objective=objective,
    )
    session.commit()
    return {"plan_id": new.id, "version": new.version, "status": new.status}


def replan_published(
    session: DbSession, township_code: str, day: date, reason: str
) -> dict[str, Any]:
    """Re-plan and publish a township's day if it has a published plan (the job after a
    booking or a cancellation). Planned under the township's lock, so no other publish can
    slip in between and make this one stale; one commit."""
    township = session.scalar(select(Region).where(Region.code == township_code))
    if township is None:
        raise NotFound(f"没有乡镇 {township_code} / No township {township_code}")
    lock_township_plans(session, township.id)
    current = planning.current_plan(session, township.id, day)
    if current is None:
        session.commit()
        return {"replanned": False, "reason": "no published plan that day"}
    new = planning.replan(session, current, reason=reason, time_limit=time_limit())
    session.commit()
    return {"replanned": True, "plan_ids": [new.id], "version": new.version}


def mark_absent(
    session: DbSession, scope: Scope, plan: Plan, agent_id: int, reason: str
) -> dict[str, Any]:
    """An agent drops out: their remaining stops go to the others, and only changes are told."""
    _planner(scope)
    agent = session.get(Agent, agent_id)
    if agent is None or agent.region_id != plan.township_id:
        raise Invalid(
            "该代办员不属于此乡镇 / That agent is not in this township",
            {"agent_id": [str(agent_id)]},
        )
    session.add(
        Override(
            township_id=plan.township_id,
            day=plan.day,
            kind="absent",
            agent_id=agent_id,
            detail={"reason": reason},
            created_by_id=scope.user_id,
        )
    )
    session.flush()
    new = planning.plan_township(
        session,
        plan.township.code,
        plan.day,
        objective=plan.objective,
        time_limit=time_limit(),
        user_id=scope.user_id,
        reason=f"{agent.name} 缺勤 / absent: {reason}",
    )
    told = planning.publish(session, new)
    session.commit()
    return {"plan_id": new.id, "version": new.version, "notified_agents": told}


def insert_urgent(session: DbSession, scope: Scope, plan: Plan, case_id: int) -> dict[str, Any]:
    """Mark a case urgent, re-plan its township's day and publish; one commit."""
    _planner(scope)
    case = session.get(Case, case_id)
    if case is None or not case.village.code.startswith(plan.township.short_code):
        raise Invalid(
            "该件不属于此乡镇 / That case is not in this township", {"case_id": [str(case_id)]}
        )
    case.urgent = True
    session.flush()
    before = {s.task_key for r in plan.routes for s in r.stops}
    new = planning.plan_township(
        session,
        plan.township.code,
        plan.day,
        objective=plan.objective,
        time_limit=time_limit(),
        user_id=scope.user_id,
        reason=f"加急 / urgent case {case.reference}",
    )
    carrying = {s.task_key for r in new.routes for s in r.stops if case in s.cases}
    told = planning.publish(session, new, (carrying - before) or carrying)
    session.commit()
    placed = bool(carrying)
    return {"plan_id": new.id, "version": new.version, "notified_agents": told, "placed": placed}


def agent_today(
    session: DbSession, scope: Scope, day: date | None = None, upcoming: bool = False
) -> dict[str, Any]:
    """The agent's own route in today's published plan: what the phone app syncs.

    With ``upcoming`` and no route on the day, the route of the first later day that has one,
    so that on a weekend or holiday the phone shows the next working day's route.
    """
    if scope.agent_id is None:
        raise Forbidden("此账号未绑定代办员 / This login is not an agent")
    day = day or datetime.now(CST).date()
    mine = (Plan.status == PlanStatus.PUBLISHED) & Plan.routes.any(
        PlanRoute.agent_id == scope.agent_id
    )
    latest = select(Plan).where(mine).order_by(Plan.version.desc()).limit(1)
    plan = session.scalar(latest.where(Plan.day == day))
    if plan is None and upcoming:
        later = session.scalar(select(func.min(Plan.day)).where(mine, Plan.day > day))
        plan = session.scalar(latest.where(Plan.day == later)) if later else None
        if plan is None:
            raise NotFound(
                f"{day} 及以后没有您的已发布计划 / No published plan for you on {day} or later"
            )
    if plan is None:
        raise NotFound(f"{day} 没有您的已发布计划 / No published plan for you on {day}")
    return plan_view(session, plan, scope, only_agent=scope.agent_id)


def diff(session: DbSession, scope: Scope, plan: Plan, against: int | None) -> dict[str, Any]:
    """What changed per agent between ``plan`` and an earlier version (default: its base)."""
    other_id = against or plan.based_on_id
    other = get_plan(session, scope, other_id) if other_id else None
    before, after = planning.route_signature(other), planning.route_signature(plan)
    agents = []
    for agent_id in sorted(set(before) | set(after)):
        old, new = before.get(agent_id, []), after.get(agent_id, [])
        if old == new:
            continue
        agents.append(
            {
                "agent_id": agent_id,
                "added": [k for k in dict.fromkeys(new) if k not in old],
                "removed": [k for k in dict.fromkeys(old) if k not in new],
                "reordered": sorted(set(old) & set(new))
                if [k for k in old if k in new] != [k for k in new if k in old]
                else [],
            }
        )
    return {
        "plan_id": plan.id,
        "against": other.id if other else None,
        "version": plan.version,
        "against_version": other.version if other else None,
        "agents": agents,
        "tasks": task_names(p for p in (plan, other) if p is not None),
    }


def overrides(session: DbSession, scope: Scope, plan: Plan) -> list[Override]:
    return list(
        session.scalars(
            select(Override)
            .where(
                Override.township_id == plan.township_id,
                Override.day == plan.day,
                Override.active.is_(True),
            )
            .order_by(Override.id)
        )
    )


def add_override(
    session: DbSession, scope: Scope, plan: Plan, kind: str, agent_id: int, task_key: str
) -> Override:
    """Record a pin, forbid or lock; one commit."""
    _planner(scope)
    if kind != "lock" and not task_key:
        raise Invalid("请指定任务 / Name the task", {"task_key": ["required for pin/forbid"]})
    override = manual.add_override(session, plan, kind, agent_id, task_key, scope.user_id)
    session.commit()
    return override


def lift_override(session: DbSession, scope: Scope, plan: Plan, override_id: int) -> Override:
    """Lift a pin, forbid, lock or absence; one commit."""
    _planner(scope)
    override = manual.lift_override(session, plan, override_id, scope.user_id)
    session.commit()
    return override


def move(
    session: DbSession,
    scope: Scope,
    plan: Plan,
    task_key: str,
    agent_id: int,
    position: int,
    force: bool,
    note: str,
) -> dict[str, Any]:
    """Drag a task to an agent and place; a new draft and the pin it makes, one commit."""
    _planner(scope)
    moved = manual.move_task(
        session, plan, task_key, agent_id, position, force, scope.user_id, note
    )
    session.commit()
    return moved
