"""Writing outbox messages in the caller's transaction; the sender lives in notifications/."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app

from dispatch.models.cases import Case
from dispatch.models.outbox import OutboxMessage, enqueue
from dispatch.models.regions import township_code
from dispatch.models.session import DbSession
from dispatch.services.rating_tokens import rating_link
from dispatch.workdays import CST, next_working_day, uncovered_years

# Case events that the villager hears about, and the template each one uses.
CASE_TEMPLATES = {
    "case_decided": "certificate_ready",
    "case_delivered": "rate_service",
    # Variables old_date and new_date come from the caller (services/due_dates.py).
    "case_due_date_moved": "due_date_moved",
    # The branches (services/branches.py); their extra variables come from the caller.
    "case_supplement": "supplement_requested",
    "case_refused": "case_refused",
    "case_suspended": "case_suspended",
    "case_continued": "case_continued",
    "case_withdrawn": "case_withdrawn",
}


def enqueue_case_message(
    session: DbSession, case: Case, event: str, extra: dict[str, str] | None = None
) -> OutboxMessage | None:
    """The villager's SMS for a case event, if the event has one; ``extra`` adds variables."""
    template = CASE_TEMPLATES.get(event)
    if template is None:
        return None
    applicant = case.applicant
    delivery = case.predicted_date or next_working_day(today())
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
            "delivery_date": delivery_text(delivery),
            "link": rating_link(
                current_app.config["RATE_URL"], current_app.config["SECRET_KEY"], case.id
            ),
            "reference": case.reference,
        }
        | (extra or {}),
        data={"case_id": case.id},
        township_code=township_code(case.village.code),
    )


def delivery_text(day: date, since: date | None = None) -> str:
    """The date for a message; marked when the days from ``since`` (today) to it rest on the
    Mon–Fri guess.

    One variable fills the Chinese and the English body (and the approved SMS text, which
    cannot change without Aliyun's review), so the mark carries both languages.
    """
    if uncovered_years(since or today(), day):
        return f"{day.isoformat()}（预计 / estimated）"
    return day.isoformat()


def today() -> date:
    return datetime.now(CST).date()
