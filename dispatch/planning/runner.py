"""City-wide planning: build every township's problem, solve them in parallel, store them.

Solving needs no database, so it runs in a small process pool on a laptop while this process
prepares and stores; with Celery the same per-township work is fanned out to workers, whose
task threads share a solver pool (see ``dispatch.jobs`` and ``dispatch.planning.solvers``).
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

import routing
from dispatch.errors import DomainError
from dispatch.models.cases import Case
from dispatch.models.centres import CentreKind, ServiceCentre
from dispatch.models.regions import Region
from dispatch.models.session import DbSession
from dispatch.planning import solvers
from dispatch.planning.service import Prepared, finish, prepare, publish, solve_params
from dispatch.planning.tasks import MOVING

log = logging.getLogger(__name__)

Solver = Callable[[routing.Problem, routing.SolveParams], routing.Solution]


@dataclass
class CitySummary:
    day: date
    townships: int = 0
    planned: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    agents: int = 0
    tasks: int = 0
    assigned: int = 0
    unassigned: Counter[str] = field(default_factory=Counter)
    km: float = 0.0
    longest_hours: float = 0.0
    spreads: list[float] = field(default_factory=list)
    plan_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, code: str, summary: dict[str, Any], plan_id: int) -> None:
        self.planned.append(code)
        self.plan_ids.append(plan_id)
        self.agents += summary["agents_on_shift"]
        self.tasks += summary["tasks"]
        self.assigned += summary["planned"]
        self.unassigned.update(u["reason"] for u in summary["unassigned"])
        self.km += summary["km"]
        self.longest_hours = max(self.longest_hours, summary["longest_hours"])
        self.spreads.append(summary["spread_hours"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "townships": self.townships,
            "planned": len(self.planned),
            "skipped": self.skipped,
            "agents": self.agents,
            "tasks": self.tasks,
            "assigned": self.assigned,
            "unassigned_by_reason": dict(self.unassigned),
            "km": round(self.km, 1),
            "longest_agent_day_hours": self.longest_hours,
            "mean_spread_hours": round(sum(self.spreads) / max(len(self.spreads), 1), 2),
            "plan_ids": self.plan_ids,
            "seconds": round(self.seconds, 1),
        }

    def text(self) -> str:
        d = self.as_dict()
        lines = [
            f"规划日期 / day: {d['day']}",
            f"乡镇 / townships: {d['planned']} planned of {d['townships']}"
            + (f" ({len(self.skipped)} skipped)" if self.skipped else ""),
            f"代办员 / agents on shift: {d['agents']}",
            f"任务 / tasks: {d['tasks']}, planned {d['assigned']}, "
            f"unassigned {sum(self.unassigned.values())}",
        ]
        for reason, n in sorted(self.unassigned.items()):
            lines.append(f"    unassigned, {reason}: {n}")
        lines += [
            f"总里程 / km: {d['km']}",
            f"最长工作日 / longest agent day: {d['longest_agent_day_hours']} h",
            f"均衡度 / mean spread between agents: {d['mean_spread_hours']} h",
            f"耗时 / took: {d['seconds']} s",
        ]
        for code, why in sorted(self.skipped.items()):
            lines.append(f"    skipped {code}: {why}")
        return "\n".join(lines)


def townships_with_centres(session: DbSession, prefix: str = "") -> list[str]:
    return list(
        session.scalars(
            select(Region.code)
            .join(ServiceCentre, ServiceCentre.region_id == Region.id)
            .where(ServiceCentre.kind == CentreKind.TOWNSHIP, Region.code.like(f"{prefix}%"))
            .order_by(Region.code)
        )
    )


def heaviest_first(session: DbSession, codes: list[str]) -> list[str]:
    """``codes`` with the townships that have the most movable cases first.

    A township with work takes its whole solver time and one without work a moment, so
    starting the long solves first (longest processing time first) leaves only short ones
    for the end, and no solver runs alone while the others are idle.
    """
    township = func.substr(Region.code, 1, 9) + "000"
    rows = session.execute(
        select(township, func.count(Case.id))
        .join(Region, Case.village_id == Region.id)
        .where(Case.status.in_([s.value for s in MOVING]))
        .group_by(township)
    )
    counts: dict[str, int] = {code: n for code, n in rows}
    return sorted(codes, key=lambda code: -counts.get(code, 0))


def plan_city(
    session: DbSession,
    day: date,
    *,
    codes: list[str] | None = None,
    objective: str = "distance",
    time_limit: float = 0.5,
    workers: int | None = None,
    solver: Solver | None = None,
    publish_plans: bool = True,
    on_progress: Callable[[int], None] | None = None,
    reason: str = "daily plan",
    commit: Callable[[], None],
) -> CitySummary:
    """Plan (and publish) every township; a township that cannot be planned is reported.

    The transaction is the caller's: ``commit`` ends each township's (its service,
    ``services.plans.plan_city``, passes the session's commit), so planning commits nothing.

    With ``workers`` > 1 the process's solver pool (``solvers.shared_pool``, that many
    processes from a fork server, safe in a threaded web server and kept for the next run)
    solves while this thread prepares the next townships and stores the finished ones, so
    database work and solving overlap. Otherwise each township is solved by ``solver``
    (default ``routing.solve``, here).
    """
    started = time.perf_counter()
    codes = codes if codes is not None else townships_with_centres(session)
    if len(codes) > 1:
        codes = heaviest_first(session, codes)
    summary = CitySummary(day=day, townships=len(codes))
    params = solve_params(objective, time_limit)
    workers = workers or min(2, os.cpu_count() or 1)

    def store(code: str, prep: Prepared, solution: routing.Solution) -> None:
        plan = finish(session, prep, solution, objective=objective, reason=reason)
        session.flush()
        summary.add(code, plan.summary, plan.id)
        if publish_plans:
            publish(session, plan)
        # Each township is its own transaction, so a failure later keeps the ones done.
        commit()
        if on_progress:
            on_progress(1)

    def prepared() -> Iterator[tuple[str, Prepared]]:
        for code in codes:
            try:
                yield code, prepare(session, code, day)
            except DomainError as err:
                summary.skipped[code] = err.message
                if on_progress:
                    on_progress(1)

    if workers > 1 and len(codes) > 1:
        pool = solvers.shared_pool(workers)
        pending: deque[tuple[str, Prepared, Future[routing.Solution]]] = deque()
        try:
            for code, prep in prepared():
                pending.append((code, prep, pool.submit(routing.solve, prep.built.problem, params)))
                while pending and pending[0][2].done():  # store in order, as solves finish
                    code, prep, future = pending.popleft()
                    store(code, prep, future.result())
            for code, prep, future in pending:
                store(code, prep, future.result())
        except BrokenProcessPool:
            solvers.shutdown(pool)  # the next run starts a new one
            raise
        finally:
            for _, _, future in pending:
                future.cancel()
    else:
        for code, prep in prepared():
            store(code, prep, (solver or routing.solve)(prep.built.problem, params))
    summary.seconds = time.perf_counter() - started
    return summary
