"""Records of processing (处理活动记录): written for each answer with whole personal data,
and read back by admins and supervisors in their region."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select

from dispatch.errors import Invalid
from dispatch.models.access import AccessRecord
from dispatch.models.session import DbSession
from dispatch.models.users import Scope
from dispatch.privacy import Disclosure, Shown, mark_recorded, reading, show, take_reads
from dispatch.workdays import CST

#: Why the data was read, by the blueprint that answered; the README lists them.
PURPOSES = {
    "applicants": "case_handling",
    "cases": "case_handling",
    "agents": "dispatch",
    "plans": "service_route",
    "notifications": "message_delivery",
    "privacy": "rights_request",  # the rights services write their own purpose too
    "forms": "printed_form",
}
DEFAULT_PURPOSE = "case_handling"
# name and signature: what a printed form shows of a person (services.forms).
FIELDS = ("id_number", "phone", "address", "home_point", "name", "signature")


def purpose_of(blueprint: str | None) -> str:
    return PURPOSES.get(blueprint or "", DEFAULT_PURPOSE)


def note_reads(
    session: DbSession,
    scope: Scope,
    reads: Iterable[Disclosure],
    endpoint: str,
    purpose: str,
    request_id: str = "",
) -> list[AccessRecord]:
    """Add one record per person whose data an answer shows whole; the caller commits."""
    reads = list(reads)
    records = [
        AccessRecord(
            user_id=scope.user_id,
            username=scope.username,
            role=scope.role.value,
            subject_kind=d.subject.kind,
            subject_id=d.subject.id,
            region_code=d.subject.region_code,
            fields="," + ",".join(sorted(d.fields)) + ",",
            endpoint=endpoint[:200],
            purpose=purpose,
            request_id=request_id,
        )
        for d in reads
    ]
    session.add_all(records)
    mark_recorded(reads)
    return records


def note_answer(
    session: DbSession, scope: Scope, shown: Callable[[Any], Shown], *objects: Any
) -> list[AccessRecord]:
    """Add, to a write's own transaction, the records of what its answer will show whole.

    The serialiser notes the same values again after the commit; they are recorded once
    (dispatch.privacy.take_reads). Outside a request nothing is recorded, as nothing is shown.
    """
    now = reading()
    if now is None:
        return []
    session.flush()  # a new row's id and region are known from here
    for subject, values in map(shown, objects):
        for what, value in values.items():
            show(scope.role, what, value, subject)
    return note_reads(session, scope, take_reads(), now.endpoint, now.purpose, now.request_id)


def record_reads(
    session: DbSession,
    scope: Scope,
    reads: Iterable[Disclosure],
    endpoint: str,
    purpose: str,
    request_id: str = "",
) -> list[AccessRecord]:
    """Record a read answer's disclosures: the one commit of a read request."""
    records = note_reads(session, scope, reads, endpoint, purpose, request_id)
    session.commit()
    return records


def list_access(
    scope: Scope,
    applicant_id: int | None = None,
    agent_id: int | None = None,
    user: str | None = None,
    field: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Select[Any]:
    """Records about people in the caller's region, newest first, filtered."""
    stmt = select(AccessRecord).where(AccessRecord.region_code.like(f"{scope.prefix}%"))
    if applicant_id is not None:
        stmt = stmt.where(
            AccessRecord.subject_kind == "applicant", AccessRecord.subject_id == applicant_id
        )
    if agent_id is not None:
        stmt = stmt.where(AccessRecord.subject_kind == "agent", AccessRecord.subject_id == agent_id)
    if user:
        stmt = stmt.where(AccessRecord.username == user)
    if field:
        stmt = stmt.where(AccessRecord.fields.contains(f",{field},"))
    if date_from and date_to and date_from > date_to:
        raise Invalid(
            "起始日期晚于结束日期 / date_from is after date_to",
            {"date_from": [f"{date_from} is after date_to {date_to}"]},
        )
    if date_from:
        stmt = stmt.where(AccessRecord.at >= _cst_midnight(date_from))
    if date_to:
        stmt = stmt.where(AccessRecord.at < _cst_midnight(date_to + timedelta(days=1)))
    return stmt.order_by(AccessRecord.id.desc())


def _cst_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), CST)


COLUMNS = ("id", "at", "username", "role", "subject_kind", "subject_id", "region_code")
TAIL = ("fields", "endpoint", "purpose", "request_id")


def access_csv(session: DbSession, stmt: Select[Any]) -> str:
    """The records as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(COLUMNS + TAIL)
    for r in session.scalars(stmt):
        head = [getattr(r, c) for c in COLUMNS]
        head[1] = r.at.isoformat()
        writer.writerow([*head, " ".join(r.field_list), r.endpoint, r.purpose, r.request_id])
    return out.getvalue()
