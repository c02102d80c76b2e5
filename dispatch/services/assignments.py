"""Which cases an agent is assigned through the published plans."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from dispatch.models.plans import Plan, PlanRoute, PlanStatus, PlanStop, stop_cases


def agent_case_ids(agent_id: int | None) -> Select[Any]:
    """Case ids on the agent's stops in any published plan."""
    return (
        select(stop_cases.c.case_id)
        .join(PlanStop, PlanStop.id == stop_cases.c.stop_id)
        .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
        .join(Plan, Plan.id == PlanRoute.plan_id)
        .where(Plan.status == PlanStatus.PUBLISHED, PlanRoute.agent_id == agent_id)
    )
