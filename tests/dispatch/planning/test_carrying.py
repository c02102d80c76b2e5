"""Documents an agent still holds on a later day go on to where they were going."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import delete, select

import routing
from dispatch.extensions import db
from dispatch.models.agents import Agent, VehicleKind
from dispatch.models.cases import Case, HolderKind, Status
from dispatch.models.catalog import ServiceItem
from dispatch.models.centres import ServiceCentre
from dispatch.models.plans import Override, Plan
from dispatch.models.regions import Region
from dispatch.planning.service import plan_township
from dispatch.setup.demo import DEMO_TOWNSHIP

CARRY_DAY = date(2031, 3, 6)  # a Thursday no other test plans


def _agent(kind: VehicleKind) -> Agent:
    township = db.session.scalar(select(Region).where(Region.code == DEMO_TOWNSHIP))
    agents = db.session.scalars(
        select(Agent).where(Agent.region_id == township.id).order_by(Agent.id)
    )
    return next(a for a in agents if a.vehicle and a.vehicle.kind == kind)


def _case(level: str) -> Case:
    """A case of the demo township whose item is decided at ``level``, not on the move."""
    case = db.session.scalar(
        select(Case)
        .join(Case.village)
        .join(Case.item)
        .where(
            Region.code.like(DEMO_TOWNSHIP[:9] + "%"),
            ServiceItem.level == level,
            Case.status == Status.REGISTERED,
        )
        .order_by(Case.id)
    )
    assert case is not None, f"the demo township has a registered {level} case"
    return case


@pytest.fixture()
def held(ctx) -> Iterator[dict[str, tuple[Case, Agent]]]:
    """A county case taken from the centre by the car's driver, and a certificate with a
    motorbike agent; both restored afterwards."""
    car, bike = _agent(VehicleKind.CAR), _agent(VehicleKind.MOTORBIKE)
    up, down = _case("county"), _case("township")
    saved = [(c, c.status, c.holder_kind, c.holder_id) for c in (up, down)]
    up.status, up.holder_kind, up.holder_id = Status.AT_TOWNSHIP, HolderKind.AGENT, car.id
    down.status, down.holder_kind, down.holder_id = Status.RETURNING, HolderKind.AGENT, bike.id
    db.session.commit()
    yield {"up": (up, car), "down": (down, bike)}
    for case, status, kind, holder in saved:
        case.status, case.holder_kind, case.holder_id = status, kind, holder
    township = db.session.scalar(select(Region).where(Region.code == DEMO_TOWNSHIP))
    db.session.execute(
        delete(Override).where(Override.township_id == township.id, Override.day == CARRY_DAY)
    )
    db.session.commit()


def _stops_for(plan: Plan, case: Case):
    return [(r, s) for r in plan.routes for s in r.stops if case in s.cases]


def test_what_an_agent_holds_is_taken_on_by_that_agent(held):
    """The county case goes to the county centre by car, the certificate to the villager, each
    on the route of the agent who holds it; the plan is feasible."""
    plan = plan_township(db.session, DEMO_TOWNSHIP, CARRY_DAY, time_limit=1.0)
    db.session.commit()  # planning stores; the caller commits
    (up, car), (down, bike) = held["up"], held["down"]
    [(route, stop)] = _stops_for(plan, up)
    county = db.session.get(ServiceCentre, stop.centre_id)
    assert route.agent_id == car.id and stop.action == "hand_over"
    assert county is not None and county.kind == "county"
    [(route, stop)] = _stops_for(plan, down)
    assert route.agent_id == bike.id and stop.action == "hand_over"
    assert stop.village_id == down.village_id or stop.applicant_id == down.applicant_id
    problem = routing.problem_from_vroom(plan.problem)
    assert routing.check(problem, routing.solution_from_vroom(plan.solution)) == []


def test_documents_with_an_absent_agent_wait_and_say_why(held):
    """The driver is off sick: the county case is not planned, and the case says who has it."""
    up, car = held["up"]
    db.session.add(
        Override(township_id=car.region_id, day=CARRY_DAY, kind="absent", agent_id=car.id)
    )
    db.session.commit()
    plan = plan_township(db.session, DEMO_TOWNSHIP, CARRY_DAY, time_limit=1.0)
    db.session.commit()  # planning stores; the caller commits
    assert _stops_for(plan, up) == []
    db.session.refresh(up)
    assert car.name in up.waiting_reason and "不在岗" in up.waiting_reason
