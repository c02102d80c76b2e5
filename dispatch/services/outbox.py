"""Writing outbox messages in the caller's transaction; the sender lives in notifications/."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app

from dispatch.extensions import DbSession
from dispatch.models.cases import Case
from dispatch.models.outbox import OutboxMessage
from dispatch.services.workdays import CST, next_working_day

# Case events that the villager hears about, and the template each one uses.
CASE_TEMPLATES = {
    "case_decided": "certificate_ready",
    "case_delivered": "rate_service",
}


def enqueue(
    session: DbSession,
    kind: str,
    channel: str,
    recipient_kind: str,
    recipient_id: int,
    *,
    phone: str = "",
    variables: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    urgent: bool = False,
    township_code: str = "",
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the session; it commits with the change that caused it."""
    message = OutboxMessage(
        id=str(uuid.uuid4()),
        kind=kind,
        channel=channel,
        recipient_kind=recipient_kind,
        recipient_id=recipient_id,
        phone=phone,
        variables=variables or {},
        data=data or {},
        urgent=urgent,
        township_code=township_code,
        next_attempt_at=not_before or datetime.now(UTC),
    )
    session.add(message)
    return message


def enqueue_case_message(session: DbSession, case: Case, event: str) -> OutboxMessage | None:
    template = CASE_TEMPLATES.get(event)
    if template is None:
        return None
    applicant = case.applicant
    return enqueue(
        session,
        template,
        "sms",
        "villager",
        applicant.id,
        phone=applicant.phone,
        variables={
            "name": applicant.name,
            "certificate": case.item.name,
            "service": case.item.name,
            "delivery_date": (case.predicted_date or next_working_day(today())).isoformat(),
            "link": f"{current_app.config['RATE_URL']}?ref={case.reference}",
            "reference": case.reference,
        },
        data={"case_id": case.id},
        township_code=case.village.code[:9] + "000",
    )


def today() -> date:
    return datetime.now(CST).date()
