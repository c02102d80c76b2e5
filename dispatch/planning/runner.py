"""City-wide planning: build every township's problem, solve them in parallel, store them.

Solving needs no database, so it runs in a small process pool on a laptop; with Celery the
same per-township work is fanned out to workers (see ``dispatch.jobs``).
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

import routing
from dispatch.errors import DomainError
from dispatch.extensions import DbSession
from dispatch.models.centres import CentreKind, ServiceCentre
from dispatch.models.regions import Region
from dispatch.planning.service import Prepared, finish, prepare, publish, solve_params

log = logging.getLogger(__name__)


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


def _solve(args: tuple[routing.Problem, routing.SolveParams]) -> routing.Solution:
    return routing.solve(*args)


def plan_city(
    session: DbSession,
    day: date,
    *,
    codes: list[str] | None = None,
    objective: str = "distance",
    time_limit: float = 0.5,
    workers: int | None = None,
    publish_plans: bool = True,
    on_progress: Callable[[int], None] | None = None,
) -> CitySummary:
    """Plan (and publish) every township; a township that cannot be planned is reported."""
    started = time.perf_counter()
    codes = codes if codes is not None else townships_with_centres(session)
    summary = CitySummary(day=day, townships=len(codes))
    prepared: list[tuple[str, Prepared]] = []
    for code in codes:
        try:
            prepared.append((code, prepare(session, code, day)))
        except DomainError as err:
            summary.skipped[code] = err.message
            if on_progress:
                on_progress(1)
    params = solve_params(objective, time_limit)
    workers = workers or min(2, os.cpu_count() or 1)
    jobs = [(p.built.problem, params) for _, p in prepared]
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            solutions = pool.map(_solve, jobs, chunksize=1)
            _store_all(session, prepared, solutions, summary, objective, publish_plans, on_progress)
    else:
        _store_all(
            session, prepared, map(_solve, jobs), summary, objective, publish_plans, on_progress
        )
    summary.seconds = time.perf_counter() - started
    return summary


def _store_all(
    session: DbSession,
    prepared: list[tuple[str, Prepared]],
    solutions: Iterable[routing.Solution],
    summary: CitySummary,
    objective: str,
    publish_plans: bool,
    on_progress: Callable[[int], None] | None,
) -> None:
    for (code, prep), solution in zip(prepared, solutions, strict=True):
        plan = finish(session, prep, solution, objective=objective, reason="daily plan")
        session.flush()
        summary.add(code, plan.summary, plan.id)
        if publish_plans:
            publish(session, plan)
        else:
            session.commit()
        if on_progress:
            on_progress(1)
