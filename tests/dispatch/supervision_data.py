"""Delivered cases for the 好差评, rectification and KPI tests, walked through the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.centres import CentreKind, ServiceCentre
from dispatch.models.outbox import OutboxMessage
from dispatch.models.regions import Region
from dispatch.models.users import Scope
from dispatch.services import applicants, cases, entrustments

from .api.conftest import SIGNATURE, applicant_body

TOWNSHIP_ITEM = "DEMO-YB-001"  # decided at the township: the shortest walk to delivery


def deliver_case(
    app: Flask,
    scope: Scope,
    village: str,
    agent_id: int,
    delivered_at: datetime | None = None,
    lead: timedelta = timedelta(days=2),
) -> int:
    """A fresh applicant's case, registered ``lead`` before and walked to delivered by
    ``agent_id``."""
    at = delivered_at or datetime.now(UTC)
    step = lead / 4
    with app.app_context():
        s = db.session
        body = applicant_body(village)
        body.pop("village")
        applicant = applicants.create_applicant(s, scope, village, **body)
        case = cases.register_case(s, scope, applicant.id, TOWNSHIP_ITEM, "agent", now=at - lead)
        centre = s.scalar(
            select(ServiceCentre)
            .join(ServiceCentre.region)
            .where(ServiceCentre.kind == CentreKind.TOWNSHIP, Region.code == village[:9] + "000")
        )
        assert centre is not None
        entrustments.capture(
            s,
            scope,
            case,
            agent_id=agent_id,
            materials=["户口簿"],
            valid_until=(at + timedelta(days=60)).date(),
            captured_at="village_room",
            signature_png=SIGNATURE,
            now=at - lead,
        )
        cases.transition(s, scope, case, "materials_checked", now=at - lead + step)
        cases.hand_over(s, scope, case, "agent", agent_id, at=at - lead + step)
        cases.hand_over(s, scope, case, "centre", centre.id, at=at - lead + 2 * step)
        cases.transition(s, scope, case, "decided", now=at - lead + 3 * step)
        cases.hand_over(s, scope, case, "agent", agent_id, at=at - step)
        cases.hand_over(s, scope, case, "applicant", applicant.id, at=at)
        assert case.status == "delivered"
        case_id = case.id
        db.session.remove()
    return case_id


def sms_link(app: Flask, case_id: int) -> str:
    """The link of the rating invitation the delivery put in the outbox."""
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "rate_service")
        ).all()
        links = [r.variables["link"] for r in rows if r.data.get("case_id") == case_id]
        db.session.remove()
    assert len(links) == 1, links
    return str(links[0])
