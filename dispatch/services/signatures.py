"""The signatures and photos a case holds: its receipts' (custody events) and its
entrustments' (the villager's signature or thumbprint). Retention and erasure clear them
together; the rows stay, so the custody chain and the mandate remain on record. The images
are files (dispatch.filestore): clearing a row gives the hashes whose files the caller
deletes after its commit (services.images.forget)."""

from __future__ import annotations

from sqlalchemy import select

from dispatch.models.cases import Case, CustodyEvent
from dispatch.models.entrustments import Entrustment
from dispatch.models.session import DbSession


def entrustments_of(session: DbSession, case: Case) -> list[Entrustment]:
    stmt = select(Entrustment).where(Entrustment.case_id == case.id).order_by(Entrustment.id)
    return list(session.scalars(stmt))


def _receipt_held(event: CustodyEvent) -> bool:
    # The position is sealed and cannot be compared in SQL (dispatch.models.types).
    return bool(event.signature_hash or event.photo_hash or event.lon is not None)


def clear_receipts(case: Case) -> tuple[int, set[str]]:
    """The case's receipts lose their signature, photo and position: how many had any, and
    the hashes of the images they named."""
    held = [e for e in case.custody if _receipt_held(e)]
    names = {n for e in held for n in (e.signature_hash, e.photo_hash) if n}
    for event in held:
        event.signature_hash = event.photo_hash = None
        event.lon = event.lat = None
    return len(held), names


def clear_entrustments(session: DbSession, case: Case) -> tuple[int, set[str]]:
    """The case's entrustments lose the villager's signature and thumbprint: how many had,
    and the hashes of those images."""
    held = [e for e in entrustments_of(session, case) if e.signature_hash or e.thumbprint_hash]
    names = {n for e in held for n in (e.signature_hash, e.thumbprint_hash) if n}
    for found in held:
        found.signature_hash = found.thumbprint_hash = None
    return len(held), names
