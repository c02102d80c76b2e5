"""The person's rights (PIPL Art. 44–47), exercised for them by an admin: a copy of
everything held on an applicant, a correction, an erasure. Each is an access record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from dispatch.errors import Conflict
from dispatch.models.access import AccessRecord
from dispatch.models.agents import Appointment
from dispatch.models.applicants import Applicant
from dispatch.models.cases import OPEN, Case
from dispatch.models.outbox import OutboxMessage
from dispatch.models.ratings import Rating
from dispatch.models.session import DbSession
from dispatch.models.users import Scope
from dispatch.privacy import Disclosure, Subject, applicant_shown
from dispatch.services.access_records import note_answer, note_reads
from dispatch.services.applicants import apply_update
from dispatch.services.home_stops import blur, stops_of
from dispatch.services.images import forget, image
from dispatch.services.signatures import clear_entrustments, clear_receipts, entrustments_of

ERASED_NAME = "已删除"
PERSONAL = ("name", "phone", "id_number", "address", "lon", "lat")
ENTRUSTMENT = ("id", "valid_until", "captured_at", "signed_at", "revoked_at", "revoke_reason")


def _record(
    session: DbSession,
    scope: Scope,
    a: Applicant,
    fields: set[str],
    endpoint: str,
    purpose: str,
    request_id: str,
) -> None:
    whose = Disclosure(Subject("applicant", a.id, a.village.code), fields)
    note_reads(session, scope, [whose], endpoint, purpose, request_id)


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _row(obj: Any, *names: str) -> dict[str, Any]:
    return {n: _iso(getattr(obj, n)) for n in names}


def export_applicant(
    session: DbSession, scope: Scope, a: Applicant, request_id: str = ""
) -> dict[str, Any]:
    """Everything held on one applicant, whole (a request to see or copy, Art. 45)."""
    cases = list(session.scalars(select(Case).where(Case.applicant_id == a.id).order_by(Case.id)))
    held: dict[str, Any] = {
        "applicant": _row(a, "id", *PERSONAL, "vulnerable", "created_at")
        | {"village": a.village.code},
        "cases": [
            _row(c, "id", "reference", "status", "registered_at", "due_date", "note")
            | {
                "item": c.item.code,
                "history": [_row(h, "to_status", "at", "note") for h in c.history],
                "custody": [
                    _row(e, "seq", "receipt_no", "from_kind", "to_kind", "at", "lon", "lat")
                    | {"signature_png": image(e.signature_hash), "photo_jpeg": image(e.photo_hash)}
                    for e in c.custody
                ],
                "entrustments": [
                    _row(e, *ENTRUSTMENT)
                    | {"agent": e.agent.name, "materials": list(e.materials)}
                    | {
                        "signature_png": image(e.signature_hash),
                        "thumbprint_jpeg": image(e.thumbprint_hash),
                    }
                    for e in entrustments_of(session, c)
                ],
            }
            for c in cases
        ],
        "appointments": [
            _row(p, "id", "window_start", "window_end", "status", "note")
            for p in session.scalars(select(Appointment).where(Appointment.applicant_id == a.id))
        ],
        "home_stops": [
            _row(s, "label", "arrival", "status", "status_at", "lon", "lat")
            | {"day": s.route.plan.day.isoformat(), "plan_status": s.route.plan.status}
            for s in stops_of(session, a.id)
        ],
        "ratings": [
            _row(r, "id", "level", "comment", "rated_at")
            for r in session.scalars(select(Rating).where(Rating.applicant_id == a.id))
        ],
        "messages": [
            _row(m, "id", "kind", "channel", "phone", "status", "created_at")
            for m in _messages(session, a)
        ],
        "access_records": [
            _row(r, "at", "username", "role", "field_list", "endpoint", "purpose")
            for r in session.scalars(
                select(AccessRecord).where(
                    AccessRecord.subject_kind == "applicant", AccessRecord.subject_id == a.id
                )
            )
        ],
    }
    fields = {"id_number", "phone", "address", "home_point"}
    if _signed(held["cases"]):
        fields.add("signature")
    path = f"GET /api/privacy/applicants/{a.id}/export"
    _record(session, scope, a, fields, path, "rights_export", request_id)
    session.commit()
    return held


def _signed(cases: list[dict[str, Any]]) -> bool:
    """Whether the copy holds a signature, photo or thumbprint."""
    rows = [r for c in cases for r in (*c["custody"], *c["entrustments"])]
    images = ("signature_png", "photo_jpeg", "thumbprint_jpeg")
    return any(r.get(k) for r in rows for k in images)


def _messages(session: DbSession, a: Applicant) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(
        OutboxMessage.recipient_kind == "villager", OutboxMessage.recipient_id == a.id
    )
    return list(session.scalars(stmt))


def correct_applicant(
    session: DbSession, scope: Scope, a: Applicant, reason: str, request_id: str = "", **fields: Any
) -> Applicant:
    """A correction on the person's request (Art. 46), recorded with the fields changed."""
    apply_update(session, scope, a, **fields)
    changed = {"home_point" if f in ("lon", "lat") else f for f in fields}
    path = f"POST /api/privacy/applicants/{a.id}/correction ({reason[:80]})"
    _record(session, scope, a, changed, path, "rights_correction", request_id)
    note_answer(session, scope, applicant_shown, a)  # the answer shows the rest whole
    session.commit()
    return a


def erase_applicant(
    session: DbSession, scope: Scope, a: Applicant, reason: str, request_id: str = ""
) -> Applicant:
    """Erase (de-identify) an applicant on request (Art. 47); refused while a case is open."""
    open_cases = session.scalars(
        select(Case.reference).where(Case.applicant_id == a.id, Case.status.in_(OPEN))
    ).all()
    if open_cases:
        raise Conflict(
            f"有在办案件，不能删除：{'、'.join(open_cases)} / Cannot erase while a case is open: "
            "close or cancel it first",
            {"cases": list(open_cases)},
        )
    blur(session, stops_of(session, a.id))  # before the name goes: it leaves their labels
    a.name, a.phone, a.address = ERASED_NAME, "", ""
    a.id_number = f"ERASED-{a.id}"  # keeps the blind index unique; no person's number
    a.lon = a.lat = 0.0
    a.vulnerable = False
    names: set[str] = set()
    for case in session.scalars(select(Case).where(Case.applicant_id == a.id)):
        names |= clear_receipts(case)[1] | clear_entrustments(session, case)[1]
    for message in _messages(session, a):
        message.phone, message.variables = "", {}
    fields = {"name", "id_number", "phone", "address", "home_point", "receipts", "entrustments"}
    path = f"POST /api/privacy/applicants/{a.id}/erase ({reason[:80]})"
    _record(session, scope, a, fields, path, "rights_erasure", request_id)
    note_answer(session, scope, applicant_shown, a)
    session.commit()
    # The files are not in the transaction: deleted now that no row names them (a failure
    # leaves them to the daily sweep, services.retention).
    forget(session, names)
    return a
