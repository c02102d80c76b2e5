"""Signatures and photos in the file store: kept on the way in, opened for a form or a copy,
deleted when no row needs them any more (retention, erasure)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from dispatch.errors import Invalid
from dispatch.extensions import images
from dispatch.filestore import TooLarge
from dispatch.models.cases import CustodyEvent
from dispatch.models.entrustments import Entrustment
from dispatch.models.session import DbSession

#: Every column that holds a content hash of the store.
HASH_COLUMNS = (
    CustodyEvent.signature_hash,
    CustodyEvent.photo_hash,
    Entrustment.signature_hash,
    Entrustment.thumbprint_hash,
)
#: A file no row names is deleted by the sweep once it is this old: a write in progress
#: (its row not committed yet) has just written its file.
SWEEP_GRACE_S = 3600.0


def keep(image: str | None, field: str) -> str | None:
    """Store an image (a data URL) and give its hash; None for no image."""
    if not image:
        return None
    try:
        return images().put(image)
    except TooLarge as err:
        raise Invalid(f"图片过大 / The image is too large: {err}", {field: [str(err)]}) from None


def image(name: str | None) -> str | None:
    """The image a hash names, or None."""
    return images().get(name) if name else None


def in_use(session: DbSession, names: Iterable[str] | None = None) -> set[str]:
    """The hashes some row names (of ``names``, when given)."""
    wanted = None if names is None else set(names)
    used: set[str] = set()
    for column in HASH_COLUMNS:
        stmt = select(column).where(column.is_not(None)).distinct()
        if wanted is not None:
            stmt = stmt.where(column.in_(wanted))
        used |= set(session.scalars(stmt))
    return used


def forget(session: DbSession, names: Iterable[str]) -> int:
    """After the commit that cleared them: delete the files no row names any more."""
    names = {n for n in names if n}
    gone = names - in_use(session, names)
    for name in gone:
        images().delete(name)
    return len(gone)


def sweep(session: DbSession, grace_s: float = SWEEP_GRACE_S) -> int:
    """Delete every file older than ``grace_s`` that no row names (idempotent)."""
    return forget(session, images().names(older_than_s=grace_s))
