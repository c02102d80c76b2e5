"""Stop reports from the agents' phones: arrived, done or failed, each applied once.

A phone that was offline may report against a plan version that a re-plan has replaced since.
The report then goes to the stop of the published version that serves the same task; if that
task is gone, the report is kept (nothing an agent did is lost) and the answer says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dispatch.errors import Conflict, Forbidden, Invalid, NotFound
from dispatch.models.agents import Agent
from dispatch.models.applicants import Applicant
from dispatch.models.outbox import enqueue
from dispatch.models.plans import Plan, PlanStatus, PlanStop, StopEvent, StopStatus
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope
from dispatch.planning import service as planning
from dispatch.planning.locks import share_township_plans
from dispatch.workdays import CST

STOP_MOVES = {
    StopStatus.PLANNED: {StopStatus.ARRIVED, StopStatus.DONE, StopStatus.FAILED},
    StopStatus.ARRIVED: {StopStatus.DONE, StopStatus.FAILED},
    StopStatus.DONE: set(),
    StopStatus.FAILED: set(),
}


@dataclass(frozen=True)
class StopReport:
    """The stop a report applies to, and the stop id the phone named (older when re-mapped)."""

    stop: PlanStop
    reported_stop_id: int


def update_stop(
    session: DbSession,
    scope: Scope,
    stop_id: int,
    status: str,
    reason: str = "",
    at: datetime | None = None,
    idempotency_key: str | None = None,
) -> StopReport:
    """An agent reports a stop arrived, done or failed (with a reason).

    A report with a key already seen is not applied again. One naming a stop of a superseded
    version is applied to the same task's stop in the published version, and recorded with the
    stop id it named; if the task is no longer planned it is stored unapplied and refused.
    """
    seen = _seen(session, idempotency_key)
    if seen is not None:
        return _replay(session, seen)
    named = _named_stop(session, scope, stop_id)
    share_township_plans(session, named.route.plan.township_id)
    session.refresh(named.route.plan)  # a publish may have replaced it while we waited
    session.refresh(named)
    target = StopStatus(status)
    event = StopEvent(
        reported_stop_id=named.id,
        status=target,
        at=at or datetime.now(UTC),
        reason=reason,
        idempotency_key=idempotency_key,
        user_id=scope.user_id,
    )
    stop, current = _stop_now(session, named)
    if stop is None:
        _require_reason(target, reason)
        event.stop_id, event.applied = named.id, False
        session.add(event)
        _commit_report(session, idempotency_key)
        raise _task_gone(named, current)
    report = StopReport(stop, named.id)
    if target == stop.status:
        return report  # a retried sync: already applied
    if target not in STOP_MOVES[StopStatus(stop.status)]:
        raise Conflict(
            f"站点已是 {stop.status} / The stop is already {stop.status}",
            allowed=sorted(STOP_MOVES[StopStatus(stop.status)]),
        )
    _require_reason(target, reason)
    stop.status, stop.fail_reason, stop.status_at = target, reason, event.at
    event.stop_id = stop.id
    session.add(event)
    if target in (StopStatus.DONE, StopStatus.FAILED):
        _announce_next_stop(session, stop)
    return _commit_report(session, idempotency_key) or report


def _seen(session: DbSession, idempotency_key: str | None) -> StopEvent | None:
    if not idempotency_key:
        return None
    return session.scalar(select(StopEvent).where(StopEvent.idempotency_key == idempotency_key))


def _commit_report(session: DbSession, idempotency_key: str | None) -> StopReport | None:
    """Commit; if the same report (its key) was stored meanwhile by a retry of a sync the
    phone thought cut, answer as that one was answered (None: committed as it is)."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        seen = _seen(session, idempotency_key)
        if seen is None:
            raise
        return _replay(session, seen)
    return None


def _named_stop(session: DbSession, scope: Scope, stop_id: int) -> PlanStop:
    """The stop the phone named, if the caller may report on it."""
    stop = session.get(PlanStop, stop_id)
    if stop is None or (scope.role == Role.AGENT and stop.route.agent_id != scope.agent_id):
        raise NotFound(f"没有站点 {stop_id} / No stop {stop_id} on your route")
    if scope.role not in (Role.AGENT, Role.DISPATCHER, Role.ADMIN):
        raise Forbidden("只读角色 / Your role cannot update stops")
    if scope.role != Role.AGENT and not stop.route.plan.township.code.startswith(scope.prefix):
        raise NotFound(f"没有站点 {stop_id} / No stop {stop_id} in your region")
    return stop


def _stop_now(session: DbSession, named: PlanStop) -> tuple[PlanStop | None, Plan | None]:
    """The stop a report about ``named`` applies to, and the version it belongs to.

    The task moves with a re-plan even to another agent's route: the agent who did it was on
    the road with the old version, and what they did there is what happened.
    """
    plan = named.route.plan
    if plan.status != PlanStatus.SUPERSEDED:
        return named, plan
    current = planning.current_plan(session, plan.township_id, plan.day)
    if current is None:
        return None, None
    return planning.same_task_in(session, current, named), current


def _require_reason(target: StopStatus, reason: str) -> None:
    if target == StopStatus.FAILED and not reason:
        raise Invalid("请填写未完成原因 / Say why the stop failed", {"reason": ["required"]})


def _replay(session: DbSession, seen: StopEvent) -> StopReport:
    """The answer to a report already stored: the same as the first time."""
    if not seen.applied:
        plan = seen.stop.route.plan
        raise _task_gone(seen.stop, planning.current_plan(session, plan.township_id, plan.day))
    return StopReport(seen.stop, seen.reported_stop_id)


def _task_gone(named: PlanStop, current: Plan | None) -> Conflict:
    version = f"（第{current.version}版）" if current else ""
    version_en = f" (version {current.version})" if current else ""
    return Conflict(
        f"「{named.label}」已不在当前计划{version}中。您的报告已保存，请联系调度员核对 / "
        f"“{named.label}” is no longer in the current plan{version_en}. Your report was "
        "saved; ask your dispatcher to check it",
        reported_stop_id=named.id,
        plan_version=current.version if current else None,
    )


def _announce_next_stop(session: DbSession, stop: PlanStop) -> None:
    """After a stop, remind the agent of the next one, and tell a villager waiting at home
    that the agent is on the way (same transaction as the report)."""
    following = [s for s in stop.route.stops if s.seq > stop.seq and s.task_key]
    if not following or following[0].status != StopStatus.PLANNED:
        return
    nxt = following[0]
    agent = session.get(Agent, stop.route.agent_id)
    eta = max(0, int((nxt.arrival - (stop.status_at or datetime.now(UTC))).total_seconds()))
    township = stop.route.plan.township.code
    service = "、".join(c.item.name for c in nxt.cases) or nxt.label
    data = {
        "plan_id": stop.route.plan_id,
        "plan_version": stop.route.plan.version,
        "stop_id": nxt.id,
    }
    enqueue(
        session,
        "next_stop_reminder",
        "push",
        "agent",
        stop.route.agent_id,
        phone=agent.phone if agent else "",
        township_code=township,
        data=data,
        variables={
            "village": nxt.label,
            "address": nxt.label,
            "eta": f"{nxt.arrival.astimezone(CST):%H:%M}",
            "service": service,
        },
    )
    villager = session.get(Applicant, nxt.applicant_id) if nxt.applicant_id else None
    if villager is not None and agent is not None:
        enqueue(
            session,
            "agent_on_the_way",
            "sms",
            "villager",
            villager.id,
            phone=villager.phone,
            township_code=township,
            data=data,
            urgent=True,
            variables={
                "name": villager.name,
                "agent_name": agent.name,
                "eta_minutes": max(1, eta // 60),
            },
        )
