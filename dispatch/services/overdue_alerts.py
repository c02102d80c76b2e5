"""Who hears of an overdue rectification, and the SMS each of them gets.

The township's dispatchers and the county's supervisors, each active login with a phone,
get one SMS a flag (``rectification_overdue``) through the outbox, written in the flag's own
transaction; the text names the township, the rectification and the late step, never the
villager. A login without a phone still sees the flag in its queue; it is only logged here.
"""

from __future__ import annotations

import logging

from sqlalchemy import and_, or_, select

from dispatch.models.outbox import enqueue
from dispatch.models.ratings import Rectification
from dispatch.models.regions import Level, Region, code_at
from dispatch.models.session import DbSession
from dispatch.models.users import Role, User

log = logging.getLogger(__name__)
STAGE_TEXT = {"verify": "核实 / verification", "close": "办结 / closing"}


def staff_to_tell(session: DbSession, township: str) -> list[User]:
    """Active dispatchers of the township and supervisors of its county, by id."""
    county = code_at(township, Level.COUNTY)
    return list(
        session.scalars(
            select(User)
            .join(Region, User.region_id == Region.id)
            .where(
                User.active.is_(True),
                or_(
                    and_(User.role == Role.DISPATCHER, Region.code == township),
                    and_(User.role == Role.SUPERVISOR, Region.code == county),
                ),
            )
            .order_by(User.id)
        )
    )


def alert_overdue(session: DbSession, rect: Rectification, stage: str) -> int:
    """Queue the SMS of one flag to each staff member with a phone; the caller commits."""
    town = session.scalar(select(Region.name).where(Region.code == rect.township_code)) or ""
    due = rect.verify_due if stage == "verify" else rect.close_due
    sent = 0
    for user in staff_to_tell(session, rect.township_code):
        if not user.phone:
            log.info("overdue rectification %s: %s has no phone", rect.id, user.username)
            continue
        enqueue(
            session,
            "rectification_overdue",
            "sms",
            "staff",
            user.id,
            phone=user.phone,
            variables={
                "township": town,
                "rectification": rect.id,
                "stage": STAGE_TEXT[stage],
                "due": due.isoformat(),
            },
            data={"rectification_id": rect.id, "stage": stage, "role": str(user.role)},
            township_code=rect.township_code,
        )
        sent += 1
    return sent
