"""Manual dispatch: pin, forbid, lock and drag, validated by the routing checker.

Pure work like the rest of planning: it flushes into the session it is given; the service
(:mod:`dispatch.services.plans`) commits.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

import routing
from dispatch.errors import Conflict, Invalid, NotFound
from dispatch.models.agents import Agent, VehicleKind
from dispatch.models.plans import Override, Plan
from dispatch.models.session import DbSession
from dispatch.planning.build import shift_window
from dispatch.planning.rides import ride_keys
from dispatch.planning.service import finish, prepare


def _task_keys(plan: Plan) -> dict[int, list[tuple[str, str]]]:
    """Agent id -> ordered (task key, stop kind) of the plan's routes."""
    return {r.agent_id: [(s.task_key, s.kind) for s in r.stops if s.task_key] for r in plan.routes}


def _needs_car(plan: Plan, task_key: str) -> bool:
    """Whether a task needs a car (seats or a county run), read from the solved problem."""
    car_skill = 1
    for job in plan.problem.get("jobs", []):
        if job.get("description") == task_key:
            return car_skill in job.get("skills", [])
    for ship in plan.problem.get("shipments", []):
        if ship["pickup"].get("description", "").split("#")[0] == task_key:
            return car_skill in ship.get("skills", [])
    raise Invalid(
        f"计划中没有任务 {task_key} / No task {task_key} in this plan", {"task_key": [task_key]}
    )


def add_override(
    session: DbSession, plan: Plan, kind: str, agent_id: int, task_key: str, user_id: int
) -> Override:
    """Record a pin, forbid or lock; later plans of this day keep it."""
    agent = session.get(Agent, agent_id)
    if agent is None or agent.region_id != plan.township_id:
        raise Invalid(
            "该代办员不属于此乡镇 / That agent is not in this township",
            {"agent_id": [str(agent_id)]},
        )
    detail: dict[str, Any] = {}
    if kind == "pin":
        _check_on_duty(session, plan, agent)
    if kind in ("pin", "forbid"):
        needs_car = _needs_car(plan, task_key)
        if (
            kind == "pin"
            and needs_car
            and (agent.vehicle is None or agent.vehicle.kind != VehicleKind.CAR)
        ):
            raise Invalid(
                "此任务需要汽车（载人或送县）/ This task needs a car (a passenger or a county "
                f"run); {agent.name} rides a motorbike",
                {"agent_id": ["agent without the needed vehicle"]},
            )
    if kind == "lock":
        detail["task_keys"] = [k for k, _ in _task_keys(plan).get(agent_id, [])]
    override = Override(
        township_id=plan.township_id,
        day=plan.day,
        kind=kind,
        task_key=task_key,
        agent_id=agent_id,
        detail=detail,
        created_by_id=user_id,
    )
    session.add(override)
    session.flush()
    return override


def _check_on_duty(session: DbSession, plan: Plan, agent: Agent) -> None:
    """A task pinned to an agent who does not work that day would only wait: say so now."""
    absent = session.scalar(
        select(Override.id).where(
            Override.township_id == plan.township_id,
            Override.day == plan.day,
            Override.kind == "absent",
            Override.agent_id == agent.id,
            Override.active.is_(True),
        )
    )
    if absent is not None or agent.vehicle is None or shift_window(agent, plan.day) is None:
        raise Invalid(
            f"{agent.name}当天缺勤、不在班或没有车辆 / {agent.name} is absent, off shift or "
            f"without a vehicle on {plan.day}; pin the task to an agent on duty",
            {"agent_id": ["agent not on duty that day"]},
        )


def lift_override(session: DbSession, plan: Plan, override_id: int, user_id: int) -> Override:
    """Lift a pin, forbid, lock or absence of the plan's day; the next plan no longer keeps it."""
    override = session.get(Override, override_id)
    if (
        override is None
        or not override.active
        or (override.township_id, override.day) != (plan.township_id, plan.day)
    ):
        raise NotFound(
            f"当天没有生效的调整 {override_id} / No active override {override_id} on this "
            "plan's day"
        )
    override.active = False
    override.detail = {
        **override.detail,
        "lifted_by": user_id,
        "lifted_at": datetime.now(UTC).isoformat(),
    }
    session.flush()
    return override


def move_task(
    session: DbSession,
    plan: Plan,
    task_key: str,
    agent_id: int,
    position: int,
    force: bool,
    user_id: int,
    note: str = "",
) -> dict[str, Any]:
    """Move a task to ``agent_id`` at ``position``; violations reject it unless forced."""
    orders = _task_keys(plan)
    source = next((a for a, keys in orders.items() if any(k == task_key for k, _ in keys)), None)
    if source is None:
        raise Invalid(
            f"计划中没有任务 {task_key} / No task {task_key} on any route", {"task_key": [task_key]}
        )
    prep = prepare(session, plan.township.code, plan.day)
    agent_vehicle = {a: v for v, a in prep.built.vehicle_agent.items()}
    if agent_id not in agent_vehicle:
        raise Invalid(
            "该代办员今天不在岗 / That agent is not on shift today", {"agent_id": [str(agent_id)]}
        )
    # An in-person applicant's rides there and home move together, as one block.
    family = ride_keys(prep.tasks, task_key)
    moved = [(k, kind) for a in (source, *orders) for k, kind in orders[a] if k in family]
    moved = list(dict.fromkeys(moved))
    orders = {a: [(k, kind) for k, kind in keys if k not in family] for a, keys in orders.items()}
    target = orders.setdefault(agent_id, [])
    position = max(0, min(position, len(target)))
    orders[agent_id] = target[:position] + moved + target[position:]
    ids = _ids_by_key(prep.built.task_of)
    routes = {
        agent_vehicle[a]: [tid for key, kind in keys for tid in ids.get((key, kind), [])]
        for a, keys in orders.items()
        if a in agent_vehicle
    }
    solution = routing.evaluate(prep.built.problem, routes)
    violations = routing.check(prep.built.problem, solution)
    found = [_violation(v) for v in violations] + _dropped(prep.built.task_of, orders, solution)
    if found and not force:
        raise Conflict(
            "调整违反约束，未保存 / The move breaks constraints and was not saved; "
            "send force=true to override",
            violations=found,
        )
    new = finish(
        session,
        prep,
        solution,
        objective=plan.objective,
        user_id=user_id,
        reason=f"手动调整 {task_key} → agent {agent_id}",
        check=not found,
    )
    session.add(
        Override(
            township_id=plan.township_id,
            day=plan.day,
            kind="pin",
            task_key=task_key,
            agent_id=agent_id,
            forced=bool(found),
            detail={"position": position, "violations": found, "note": note},
            created_by_id=user_id,
        )
    )
    session.flush()
    return {
        "plan_id": new.id,
        "version": new.version,
        "violations": found,
        "overridden": bool(found),
    }


def _ids_by_key(task_of: dict[int, Any]) -> dict[tuple[str, str], list[routing.TaskKey]]:
    out: dict[tuple[str, str], list[routing.TaskKey]] = {}
    for tid, (task, role) in sorted(task_of.items()):
        kind = {"job": "visit" if task.action == "visit" else "job"}.get(role, role)
        if task.carried:  # stored as the delivery it completes (``planning.carried``)
            kind = "delivery"
        out.setdefault((task.key, kind), []).append(tid if role == "job" else (role, tid))
    return out


def _dropped(
    task_of: dict[int, Any], orders: dict[int, list[tuple[str, str]]], solution: routing.Solution
) -> list[dict[str, Any]]:
    """Tasks the plan had on a route that the moved routes no longer serve (never silently)."""
    planned = {key for keys in orders.values() for key, _ in keys}
    served = {task_of[s.id][0].key for r in solution.routes for s in r.steps if s.id in task_of}
    lost = sorted((planned & {t.key for t, _ in task_of.values()}) - served)
    return [
        {
            "code": "task_dropped",
            "message": f"调整后任务 {key} 不在任何路线上 / The move would leave {key} unserved",
        }
        for key in lost
    ]


def _violation(v: routing.Violation) -> dict[str, Any]:
    data = asdict(v) if hasattr(v, "__dataclass_fields__") else {"message": str(v)}
    return {
        k: (val if isinstance(val, int | float | str | None) else str(val))
        for k, val in data.items()
    }
