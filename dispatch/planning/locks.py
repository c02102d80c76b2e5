"""Serialise the writers of one township's plans until their transaction ends.

A no-op ``UPDATE`` of the township's region row: on PostgreSQL it holds that row's lock, on
SQLite the database's write lock, and both end with the commit or rollback, so nothing has
to remember to release them. Reads after it see what the previous holder committed.

A stop report shares that row (``SELECT ... FOR SHARE``): reports run side by side, but a
publish waits until they commit, and a report waits for a publish, so a report never lands on
a version in the middle of being replaced, nor after the publish read the stops it carries.
"""

from __future__ import annotations

from sqlalchemy import select, update

from dispatch.models.regions import Region
from dispatch.models.session import DbSession


def lock_township_plans(session: DbSession, township_id: int) -> None:
    """Wait for, then hold, the right to publish the township's plans in this transaction."""
    session.execute(
        update(Region)
        .where(Region.id == township_id)
        .values(name=Region.name)
        .execution_options(synchronize_session=False)
    )


def share_township_plans(session: DbSession, township_id: int) -> None:
    """Wait for any publish of the township's plans to end; hold off new ones until commit."""
    session.execute(select(Region.id).where(Region.id == township_id).with_for_update(read=True))
