"""Plan a township's day, publish it, and re-plan as the day changes.

Pure work on the session it is given: nothing here commits or reads the app's configuration.
The use cases in :mod:`dispatch.services.plans` own the transaction and commit it once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

import routing
from dispatch.errors import Conflict
from dispatch.models.agents import Agent, Appointment, AppointmentStatus
from dispatch.models.applicants import Applicant
from dispatch.models.outbox import OutboxMessage, enqueue
from dispatch.models.plans import Override, Plan, PlanRoute, PlanStatus, PlanStop, StopStatus
from dispatch.models.regions import Region
from dispatch.models.regions import township_code as town_of
from dispatch.models.session import DbSession
from dispatch.planning.build import Built, Overrides, build_problem
from dispatch.planning.carried import carried_tasks
from dispatch.planning.locks import lock_township_plans
from dispatch.planning.rides import drivers_of_rides_under_way, keep_rides_paired
from dispatch.planning.store import store_plan
from dispatch.planning.tasks import DayContext, TaskSpec, derive_tasks, load_context, seconds
from dispatch.workdays import CST

log = logging.getLogger(__name__)


# OR-Tools stops after 10 ms per routing task (one stop) without improving. On Jieyang's
# 108 township days at 0.5 s, its last improvement came at most 4.4 ms per task after it
# started, so a small township is done in tens of milliseconds at no cost: the city's solve
# time fell from 50.8 to 39.0 s, and its total cost from 5,808,500 to 5,805,816 (two
# townships a little dearer, one cheaper). A township whose window is longer than its
# budget (25 shipments at 0.5 s) searches the whole time, as before.
STALL_PER_TASK_S = 0.01


def solve_params(objective: str, time_limit: float) -> routing.SolveParams:
    return routing.SolveParams(
        time_limit=time_limit,
        threads=1,
        seed=0,
        balance_weight=1.0 if objective == "balance" else 0.0,
        stall_per_task=STALL_PER_TASK_S,
    )


def load_overrides(session: DbSession, township_id: int, day: date) -> Overrides:
    out = Overrides()
    for o in session.scalars(
        select(Override)
        .where(Override.township_id == township_id, Override.day == day, Override.active.is_(True))
        .order_by(Override.id)
    ):
        if o.kind == "pin" and o.agent_id:
            out.pins[o.task_key] = o.agent_id
        elif o.kind == "forbid" and o.agent_id:
            out.forbids.setdefault(o.task_key, set()).add(o.agent_id)
        elif o.kind == "absent" and o.agent_id:
            out.absent.add(o.agent_id)
        elif o.kind == "lock" and o.agent_id:
            out.locked[o.agent_id] = list(o.detail.get("task_keys", []))
    return out


def current_plan(
    session: DbSession, township_id: int, day: date, published_only: bool = True
) -> Plan | None:
    stmt = select(Plan).where(Plan.township_id == township_id, Plan.day == day)
    if published_only:
        stmt = stmt.where(Plan.status == PlanStatus.PUBLISHED)
    return session.scalar(stmt.order_by(Plan.version.desc()).limit(1))


def same_task_in(session: DbSession, plan: Plan, stop: PlanStop) -> PlanStop | None:
    """The stop of ``plan`` serving the task ``stop`` served in another version, if any.

    A task is known by its key and role (a shipment's pickup and delivery share the key); a
    task that carried cases is the same only while it still carries one of them.
    """
    if not stop.task_key:
        return None
    cases = {c.id for c in stop.cases}
    candidates = session.scalars(
        select(PlanStop)
        .join(PlanStop.route)
        .where(
            PlanRoute.plan_id == plan.id,
            PlanStop.task_key == stop.task_key,
            PlanStop.kind == stop.kind,
        )
        .order_by(PlanStop.id)
    )
    return next(
        (s for s in candidates if not cases or cases & {c.id for c in s.cases}),
        None,
    )


def served_today(plan: Plan | None) -> set[str]:
    """Task keys already done or under way in the published plan: they are not re-planned."""
    if plan is None:
        return set()
    return {
        s.task_key
        for r in plan.routes
        for s in r.stops
        if s.task_key and s.status in (StopStatus.DONE, StopStatus.ARRIVED)
    }


@dataclass
class Prepared:
    """A township's day, built and ready to solve; solving needs no database."""

    ctx: DayContext
    tasks: list[TaskSpec]
    built: Built
    base: Plan | None


def prepare(session: DbSession, township_code: str, day: date) -> Prepared:
    ctx = load_context(session, township_code, day)
    base = current_plan(session, ctx.township.id, day)
    skip = served_today(base)
    carried = carried_tasks(base)
    on_board = frozenset(cid for t in carried for cid in t.case_ids)
    tasks = [t for t in derive_tasks(session, ctx, on_board) if t.key not in skip]
    overrides = load_overrides(session, ctx.township.id, day)
    overrides.resume = resume_points(base)
    overrides.pins.update(drivers_of_rides_under_way(tasks, route_signature(base)))
    tasks += carried
    built = build_problem(ctx, tasks, overrides)
    return Prepared(ctx, tasks, built, base)


def finish(
    session: DbSession,
    prep: Prepared,
    solution: routing.Solution,
    *,
    objective: str,
    user_id: int | None = None,
    reason: str = "",
    check: bool = True,
) -> Plan:
    """Check the solution independently and store it as a new draft version.

    ``check=False`` is only for a dispatcher's explicit, recorded override.
    """
    if check:
        solution = keep_rides_paired(prep.built.problem, solution, prep.built.task_of)
    violations = routing.check(prep.built.problem, solution) if check else []
    if violations:  # the solver promises feasibility; never store a plan that breaks it
        raise RuntimeError(f"solver returned an infeasible plan: {violations[:3]}")
    plan = store_plan(
        session,
        prep.ctx,
        prep.built,
        solution,
        objective=objective,
        tasks=prep.tasks,
        reason=reason,
        user_id=user_id,
        based_on=prep.base,
    )
    if prep.base is not None:
        _keep_history(prep.base, plan)
    return plan


def resume_points(base: Plan | None) -> dict[int, tuple[float, float, int]]:
    """Where and when each agent is free again: after their last stop done or under way."""
    out = {}
    for route in base.routes if base else []:
        kept = [s for s in route.stops if s.status in (StopStatus.DONE, StopStatus.ARRIVED)]
        if kept:
            last = kept[-1]
            out[route.agent_id] = (last.lon, last.lat, seconds(last.departure))
    return out


def plan_township(
    session: DbSession,
    township_code: str,
    day: date,
    *,
    objective: str = "distance",
    time_limit: float,
    user_id: int | None = None,
    reason: str = "",
) -> Plan:
    """Solve the township's day and store it (flushed, not committed) as a new draft."""
    prep = prepare(session, township_code, day)
    try:
        solution = routing.solve(prep.built.problem, solve_params(objective, time_limit))
    except ValueError as exc:  # a locked route that can no longer be run as it stands
        raise Conflict(
            "锁定的路线已无法按原样执行，请解除锁定后重新排班 / A locked route can no longer "
            f"be run as it stands: lift the lock and re-plan ({exc})"
        ) from exc
    plan = finish(session, prep, solution, objective=objective, user_id=user_id, reason=reason)
    session.flush()
    return plan


def _keep_history(base: Plan, plan: Plan) -> None:
    """Stops already done or under way stay on their agent's route, first and in order."""
    done = {}
    for route in base.routes:
        kept = [s for s in route.stops if s.status in (StopStatus.DONE, StopStatus.ARRIVED)]
        if kept:
            done[route.agent_id] = kept
    for route in plan.routes:
        route.stops[1:1] = [_copy_stop(stop) for stop in done.get(route.agent_id, [])]
        for seq, stop in enumerate(route.stops):
            stop.seq = seq
    # An agent with nothing new (or now absent) keeps a route of what they already did.
    planned = {route.agent_id for route in plan.routes}
    for old in base.routes:
        if old.agent_id in done and old.agent_id not in planned:
            start = [s for s in old.stops[:1] if s.kind == "start"]
            kept = done[old.agent_id]
            plan.routes.append(
                PlanRoute(
                    agent_id=old.agent_id,
                    vehicle_id=old.vehicle_id,
                    start_at=old.start_at,
                    end_at=kept[-1].departure,
                    stops=[_copy_stop(stop) for stop in [*start, *kept]],
                )
            )
            for seq, stop in enumerate(plan.routes[-1].stops):
                stop.seq = seq


def _copy_stop(stop: PlanStop) -> PlanStop:
    copy = PlanStop(
        **{
            c: getattr(stop, c)
            for c in (
                "kind",
                "task_key",
                "label",
                "lon",
                "lat",
                "village_id",
                "centre_id",
                "applicant_id",
                "arrival",
                "departure",
                "window_start",
                "window_end",
                "action",
                "status",
                "status_at",
                "fail_reason",
            )
        },
        seq=0,
    )
    copy.cases = list(stop.cases)
    return copy


def route_signature(plan: Plan | None) -> dict[int, list[str]]:
    """Agent id -> ordered task keys, to tell who must hear about a change."""
    if plan is None:
        return {}
    return {r.agent_id: [s.task_key for s in r.stops if s.task_key] for r in plan.routes}


def publish(session: DbSession, plan: Plan, urgent_keys: set[str] | None = None) -> list[int]:
    """Make ``plan`` the one agents see, with one message per changed agent, in the caller's
    transaction (which holds the township's lock from here until it commits).

    Returns the ids of the agents who were told.
    """
    lock_township_plans(session, plan.township_id)
    session.refresh(plan)  # another publisher may have changed it while we waited
    if plan.status != PlanStatus.DRAFT:
        raise Conflict(
            f"计划 v{plan.version} 已是 {plan.status} / Plan is {plan.status}, "
            "only a draft can be published"
        )
    previous = current_plan(session, plan.township_id, plan.day)
    check_base(plan, previous)
    if previous is not None:
        _carry_reports(session, previous, plan)
    before, after = route_signature(previous), route_signature(plan)
    changed = [
        agent_id
        for agent_id in sorted(set(before) | set(after))
        if previous is None or before.get(agent_id, []) != after.get(agent_id, [])
    ]
    # Columns, not agents: objects expired by earlier commits would each be re-read.
    phones = dict(session.execute(select(Agent.id, Agent.phone).where(Agent.id.in_(changed))).all())
    for agent_id in changed:
        old, new = before.get(agent_id, []), after.get(agent_id, [])
        _tell_agent(
            session,
            plan,
            (agent_id, phones.get(agent_id, "")),
            old,
            new,
            previous is None,
            urgent_keys or set(),
        )
    _tell_unplanned_visitors(session, plan)
    if previous is not None:
        previous.status = PlanStatus.SUPERSEDED
    plan.status = PlanStatus.PUBLISHED
    plan.published_at = datetime.now(UTC)
    session.flush()
    return changed


def _tell_unplanned_visitors(session: DbSession, plan: Plan) -> None:
    """A booked visit the plan leaves out (an agent absent, a day too full after a re-plan):
    its villager gets one SMS saying so, in the same transaction as the publish."""
    keys = {s.task_key for r in plan.routes for s in r.stops}
    start = datetime.combine(plan.day, time(0), tzinfo=CST)
    booked = session.scalars(
        select(Appointment)
        .join(Applicant, Applicant.id == Appointment.applicant_id)
        .join(Region, Region.id == Applicant.village_id)
        .where(
            Region.parent_id == plan.township_id,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.window_start >= start,
            Appointment.window_start < start + timedelta(days=1),
        )
    )
    for apt in booked:
        if f"visit:{apt.id}" not in keys:
            tell_unplanned(session, apt, plan.id)


def tell_unplanned(session: DbSession, apt: Appointment, plan_id: int | None = None) -> None:
    """The villager hears once that their booked visit is not in the day's plan (an
    ``UNPLANNED`` SMS in the caller's transaction); ``plan_id`` is the plan that left it out."""
    if _told_unplanned(session, apt):
        return
    start, end = apt.window_start.astimezone(CST), apt.window_end.astimezone(CST)
    enqueue(
        session,
        UNPLANNED,
        "sms",
        "villager",
        apt.applicant_id,
        phone=apt.applicant.phone,
        variables={
            "name": apt.applicant.name,
            "date": start.date().isoformat(),
            "time_window": f"{start:%H:%M}-{end:%H:%M}",
            "reference": f"YY{apt.id:06d}",
        },
        data={"appointment_id": apt.id, "plan_id": plan_id},
        township_code=town_of(apt.applicant.village.code),
    )


UNPLANNED = "booking_unplanned"


def _told_unplanned(session: DbSession, apt: Appointment) -> bool:
    told = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == UNPLANNED,
            OutboxMessage.recipient_kind == "villager",
            OutboxMessage.recipient_id == apt.applicant_id,
        )
    )
    return any(m.data.get("appointment_id") == apt.id for m in told)


def check_base(plan: Plan, published: Plan | None) -> None:
    """A draft is published only over the version it was planned from: a 409 otherwise, so
    nothing published since (a booking's visit, an urgent case) is silently dropped."""
    if published is None or plan.based_on_id == published.id:
        return
    base_version = plan.based_on.version if plan.based_on else None
    base = f"v{base_version}" if base_version else "no published version"
    raise Conflict(
        f"草稿 v{plan.version} 基于 {base}，但现已发布 v{published.version}，请先变基 / "
        f"Draft v{plan.version} was planned from {base}, but v{published.version} is "
        f"published now; rebase it (POST /api/plans/{plan.id}/rebase) to re-plan it on "
        f"v{published.version}",
        draft_version=plan.version,
        base_version=base_version,
        published_version=published.version,
        published_plan_id=published.id,
    )


#: How far a stop has come: reports only move it forward.
PROGRESS = {
    StopStatus.PLANNED: 0,
    StopStatus.ARRIVED: 1,
    StopStatus.DONE: 2,
    StopStatus.FAILED: 2,
}


def _carry_reports(session: DbSession, previous: Plan, plan: Plan) -> None:
    """Reports that reached the published version after ``plan`` was drafted from it (an
    agent worked on while the dispatcher re-planned) move onto the draft's same stops."""
    # Read now, under the lock: the stops may have been loaded before a report committed.
    reported = session.scalars(
        select(PlanStop)
        .join(PlanRoute, PlanStop.route_id == PlanRoute.id)
        .where(PlanRoute.plan_id == previous.id, PlanStop.status != StopStatus.PLANNED)
        .execution_options(populate_existing=True)
    )
    for stop in reported:
        same = same_task_in(session, plan, stop)
        # The draft copied an arrived stop as arrived; a 'done' since then moves it on.
        if same is not None and PROGRESS[same.status] < PROGRESS[stop.status]:
            same.status, same.status_at = stop.status, stop.status_at
            same.fail_reason = stop.fail_reason


def _tell_agent(
    session: DbSession,
    plan: Plan,
    agent: tuple[int, str],
    old: list[str],
    new: list[str],
    first: bool,
    urgent_keys: set[str],
) -> None:
    agent_id, phone = agent
    added = [k for k in new if k not in old]
    removed = [k for k in old if k not in new]
    urgent = [k for k in added if k in urgent_keys]
    kind = "urgent_task" if urgent else "plan_published" if first else "route_changed"
    variables = {
        "plan_date": plan.day.isoformat(),
        "plan_version": plan.version,
        "stop_count": len(set(new)),
        "changes": f"新增 {len(added)} 项，取消 {len(removed)} 项 / +{len(added)} -{len(removed)}",
        "village": plan.township.name,
        "task": urgent[0] if urgent else "",
        "deadline": plan.day.isoformat(),
    }
    enqueue(
        session,
        kind,
        "push",
        "agent",
        agent_id,
        phone=phone,
        variables=variables,
        data={
            "plan_id": plan.id,
            "plan_version": plan.version,
            "day": plan.day.isoformat(),
            "added": added,
            "removed": removed,
        },
        urgent=bool(urgent),
        township_code=plan.township.code,
    )


def rebase(
    session: DbSession, draft: Plan, *, time_limit: float, user_id: int | None = None
) -> Plan:
    """Re-plan a stale draft on the version published now: a new draft from the current
    cases, bookings and overrides; the stale draft is superseded so it cannot be published."""
    published = current_plan(session, draft.township_id, draft.day)
    if draft.status != PlanStatus.DRAFT:
        raise Conflict(f"计划 v{draft.version} 已是 {draft.status} / Only a draft can be rebased")
    if published is None or draft.based_on_id == published.id:
        raise Conflict(
            f"草稿 v{draft.version} 已基于当前版本，可直接发布 / Draft v{draft.version} is "
            "already planned from the current version; publish it"
        )
    draft.status = PlanStatus.SUPERSEDED
    return plan_township(
        session,
        draft.township.code,
        draft.day,
        objective=draft.objective,
        time_limit=time_limit,
        user_id=user_id,
        reason=f"变基 v{draft.version} → v{published.version} / rebase of v{draft.version} "
        f"on v{published.version}",
    )


def replan(
    session: DbSession,
    plan: Plan,
    *,
    reason: str,
    time_limit: float,
    user_id: int | None = None,
    publish_now: bool = True,
    urgent_keys: set[str] | None = None,
    objective: str | None = None,
) -> Plan:
    """Re-solve a township's day around what is done, and publish if asked."""
    new = plan_township(
        session,
        plan.township.code,
        plan.day,
        objective=objective or plan.objective,
        time_limit=time_limit,
        user_id=user_id,
        reason=reason,
    )
    if publish_now:
        publish(session, new, urgent_keys)
    return new


def context_for(session: DbSession, plan: Plan) -> DayContext:
    return load_context(session, plan.township.code, plan.day)
