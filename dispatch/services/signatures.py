"""The signatures and photos a case holds: its receipts' (custody events) and its
entrustments' (the villager's signature or thumbprint). Retention and erasure clear them
together; the rows stay, so the custody chain and the mandate remain on record."""

from __future__ import annotations

from sqlalchemy import select

from dispatch.extensions import DbSession
from dispatch.models.cases import Case, CustodyEvent
from dispatch.models.entrustments import Entrustment


def entrustments_of(session: DbSession, case: Case) -> list[Entrustment]:
    stmt = select(Entrustment).where(Entrustment.case_id == case.id).order_by(Entrustment.id)
    return list(session.scalars(stmt))


def _receipt_held(event: CustodyEvent) -> bool:
    # Sealed columns cannot be compared in SQL (dispatch.models.types): looked at here.
    return bool(event.signature_png or event.photo_jpeg or event.lon is not None)


def clear_receipts(case: Case) -> int:
    """The case's receipts lose their signature, photo and position; how many had any."""
    held = [e for e in case.custody if _receipt_held(e)]
    for event in held:
        event.signature_png = event.photo_jpeg = None
        event.lon = event.lat = None
    return len(held)


def clear_entrustments(session: DbSession, case: Case) -> int:
    """The case's entrustments lose the villager's signature and thumbprint; how many had."""
    held = [e for e in entrustments_of(session, case) if e.signature_png or e.thumbprint_jpeg]
    for found in held:
        found.signature_png = found.thumbprint_jpeg = None
    return len(held)
