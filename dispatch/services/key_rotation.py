"""``daiban rotate-keys``: every sealed value re-encrypted under the newest data key.

Resumable by construction: each batch is the next rows holding a value not under the newest
key, and each batch commits on its own (the one exception to one commit per use case: a
rotation of a large table must survive being stopped, and rows already moved stay moved).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa

from dispatch import crypto
from dispatch.extensions import images
from dispatch.models.base import Base
from dispatch.models.session import DbSession
from dispatch.models.types import Sealed

FILES = "files"  # the file store's images (dispatch.filestore), beside the tables


@dataclass(frozen=True)
class SealedTable:
    name: str
    pk: str
    columns: dict[str, str]  # column -> AAD context


@dataclass
class RotationReport:
    key_id: str
    rewritten: dict[str, int] = field(default_factory=dict)  # table -> rows re-encrypted
    batches: int = 0


def sealed_tables() -> Iterator[SealedTable]:
    """The tables with sealed columns, read from the models' column types."""
    for table in Base.metadata.sorted_tables:
        columns = {c.name: c.type.context for c in table.columns if isinstance(c.type, Sealed)}
        if columns:
            (pk,) = table.primary_key.columns
            yield SealedTable(table.name, pk.name, columns)


def _raw(sealed: SealedTable) -> sa.TableClause:
    # Plain text columns: the stored tokens, not what the model's types would decrypt.
    return sa.table(
        sealed.name, sa.column(sealed.pk), *(sa.column(c, sa.Text) for c in sealed.columns)
    )


def _stale(table: sa.TableClause, sealed: SealedTable, prefix: str) -> sa.ColumnElement[bool]:
    return sa.or_(
        *(
            sa.and_(
                table.c[c].is_not(None), table.c[c] != "", sa.not_(table.c[c].startswith(prefix))
            )
            for c in sealed.columns
        )
    )


def stale_counts(session: DbSession) -> dict[str, int]:
    """Rows per table still holding a value under an older key."""
    prefix = crypto.keyring().current_prefix
    out = {}
    for sealed in sealed_tables():
        table = _raw(sealed)
        out[sealed.name] = (
            session.scalar(
                sa.select(sa.func.count()).select_from(table).where(_stale(table, sealed, prefix))
            )
            or 0
        )
    out[FILES] = len(images().stale())
    return out


def rotate_keys(
    session: DbSession, batch: int = 500, on_batch: Callable[[str, int], None] | None = None
) -> RotationReport:
    """Re-encrypt, batch by batch, every value not under the newest key."""
    ring = crypto.keyring()
    report = RotationReport(ring.current_id)
    for sealed in sealed_tables():
        table = _raw(sealed)
        stale = _stale(table, sealed, ring.current_prefix)
        while rows := session.execute(
            sa.select(table).where(stale).order_by(table.c[sealed.pk]).limit(batch)
        ).all():
            for row in rows:
                values = {
                    column: _reseal(ring, getattr(row, column), context)
                    for column, context in sealed.columns.items()
                }
                session.execute(
                    sa.update(table).where(table.c[sealed.pk] == row[0]).values(**values)
                )
            session.commit()
            report.batches += 1
            report.rewritten[sealed.name] = report.rewritten.get(sealed.name, 0) + len(rows)
            if on_batch:
                on_batch(sealed.name, len(rows))
    _rotate_files(report, batch, on_batch)
    return report


def _rotate_files(
    report: RotationReport, batch: int, on_batch: Callable[[str, int], None] | None
) -> None:
    """The signatures and photos in the file store, each file replaced whole (atomically)."""
    stale = images().stale()
    for start in range(0, len(stale), batch):
        names = stale[start : start + batch]
        for name in names:
            images().reseal(name)
        report.batches += 1
        report.rewritten[FILES] = report.rewritten.get(FILES, 0) + len(names)
        if on_batch:
            on_batch(FILES, len(names))


def _reseal(ring: crypto.Keyring, stored: str | None, context: str) -> str | None:
    if not stored or stored.startswith(ring.current_prefix):
        return stored
    return ring.encrypt(ring.decrypt(stored, context), context)
