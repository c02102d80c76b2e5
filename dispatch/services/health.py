"""Is the service ready: the database answers and its schema is at the newest migration."""

from __future__ import annotations

from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from dispatch.config import MIGRATIONS_DIR
from dispatch.models.session import DbSession


@dataclass(frozen=True)
class Readiness:
    ready: bool
    database: str
    migrations: str
    current: tuple[str, ...] = ()
    head: tuple[str, ...] = ()


def migration_heads() -> tuple[str, ...]:
    """The head revisions of the migrations shipped with this code."""
    return tuple(sorted(ScriptDirectory(MIGRATIONS_DIR).get_heads()))


def check_readiness(session: DbSession) -> Readiness:
    """Ask the database for ``SELECT 1`` and its Alembic revision; never raises."""
    head = migration_heads()
    try:
        connection = session.connection()
        connection.execute(text("SELECT 1"))
        current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    except SQLAlchemyError as err:
        session.rollback()
        reason = str(err.orig if hasattr(err, "orig") else err).splitlines()[0]
        return Readiness(False, f"unreachable: {reason}", "unknown", head=head)
    session.rollback()
    at_head = current == head
    state = "at head" if at_head else f"behind: {', '.join(current) or 'none'}"
    return Readiness(at_head, "ok", state, current, head)
