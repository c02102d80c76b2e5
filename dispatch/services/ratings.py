"""好差评: giving a rating (link, call-back, screen), the 7-day default, and reading ratings.

A 差评 opens its rectification in the same transaction (:mod:`dispatch.services.rectification`
carries it on). The rated agent reads ratings shielded: no case, no applicant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, exists, select

from dispatch.errors import Conflict, Forbidden, Invalid, NotFound
from dispatch.models.agents import Agent
from dispatch.models.cases import Case, CustodyEvent, HolderKind, Status, StatusChange
from dispatch.models.centres import CentreKind, ServiceCentre
from dispatch.models.ratings import (
    BAD_LEVELS,
    LEVEL_NAMES,
    TAGS,
    Level,
    Rating,
    Rectification,
    Source,
)
from dispatch.models.regions import Region, township_code
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope
from dispatch.services.rating_tokens import read_token
from dispatch.workdays import add_working_days, cst_date

LEVEL_KEYS = {
    "very_satisfied": Level.VERY_SATISFIED,
    "satisfied": Level.SATISFIED,
    "basic": Level.BASIC,
    "dissatisfied": Level.DISSATISFIED,
    "very_dissatisfied": Level.VERY_DISSATISFIED,
}
KEY_OF = {v: k for k, v in LEVEL_KEYS.items()}
RATED_STATUSES = (Status.DELIVERED, Status.CLOSED)
RECORDERS = {Role.ADMIN, Role.VILLAGE_STAFF, Role.DISPATCHER}
READERS = {Role.ADMIN, Role.SUPERVISOR, Role.DISPATCHER, Role.VILLAGE_STAFF, Role.AGENT}


@dataclass(frozen=True)
class Rated:
    """What a rating of a case concerns, read from the case itself."""

    case: Case
    delivered_at: datetime
    agent_id: int | None
    agent_name: str
    centre: ServiceCentre | None


def _delivered_at(session: DbSession, case: Case) -> datetime | None:
    return session.scalar(
        select(StatusChange.at)
        .where(StatusChange.case_id == case.id, StatusChange.to_status == Status.DELIVERED)
        .order_by(StatusChange.id.desc())
        .limit(1)
    )


def rated_parties(session: DbSession, case: Case) -> Rated:
    """The agent who handed the documents back, the township centre, the delivery moment."""
    delivered = _delivered_at(session, case)
    if case.status not in RATED_STATUSES or delivered is None:
        raise Conflict("代办件尚未送达，暂不能评价 / The case is not delivered yet; rate it after")
    handback = session.scalar(
        select(CustodyEvent)
        .where(
            CustodyEvent.case_id == case.id,
            CustodyEvent.to_kind == HolderKind.APPLICANT,
            CustodyEvent.from_kind == HolderKind.AGENT,
        )
        .order_by(CustodyEvent.seq.desc())
        .limit(1)
    )
    agent_id = handback.from_id if handback else None
    agent = session.get(Agent, agent_id) if agent_id else None
    centre = session.scalar(
        select(ServiceCentre)
        .join(ServiceCentre.region)
        .where(
            ServiceCentre.kind == CentreKind.TOWNSHIP,
            Region.code == township_code(case.village.code),
        )
    )
    return Rated(case, delivered, agent_id, agent.name if agent else "", centre)


def parse_level(value: str) -> Level:
    try:
        return LEVEL_KEYS[value]
    except KeyError:
        raise Invalid(
            "评价等级无效 / Unknown rating level",
            {"level": [f"one of {', '.join(LEVEL_KEYS)}"]},
        ) from None


def _check_tags(tags: list[str]) -> list[str]:
    unknown = [t for t in tags if t not in TAGS]
    if unknown:
        raise Invalid("未知标签 / Unknown tag", {"tags": [f"one of {', '.join(TAGS)}"]})
    return list(dict.fromkeys(tags))


def _already(session: DbSession, case_id: int, occasion: str) -> bool:
    return bool(
        session.scalar(
            select(exists().where(Rating.case_id == case_id, Rating.occasion == occasion))
        )
    )


def _add_rating(
    session: DbSession,
    rated: Rated,
    level: Level,
    source: Source,
    now: datetime,
    *,
    comment: str = "",
    tags: list[str] | None = None,
    occasion: str = "delivery",
    recorded_by_id: int | None = None,
) -> Rating:
    """The rating row and, for a 差评, its rectification; the caller commits."""
    case = rated.case
    rating = Rating(
        case_id=case.id,
        occasion=occasion,
        level=int(level),
        bad=level in BAD_LEVELS,
        comment=comment.strip(),
        tags=_check_tags(tags or []),
        source=source,
        agent_id=rated.agent_id,
        centre_id=rated.centre.id if rated.centre else None,
        item_id=case.item_id,
        applicant_id=case.applicant_id,
        township_code=township_code(case.village.code),
        delivered_at=rated.delivered_at,
        rated_at=now,
        recorded_by_id=recorded_by_id,
    )
    session.add(rating)
    if rating.bad:
        cfg = current_app.config
        today = cst_date(now)
        rating.rectification = Rectification(
            township_code=rating.township_code,
            opened_at=now,
            verify_due=add_working_days(today, cfg["RECTIFY_VERIFY_DAYS"]),
            close_due=add_working_days(today, cfg["RECTIFY_CLOSE_DAYS"]),
        )
    return rating


def rating_page(session: DbSession, token: str) -> dict[str, Any]:
    """What the rating page shows: the item, the township centre, the agent; no personal data."""
    claim = read_token(current_app.config["SECRET_KEY"], token)
    case = session.get(Case, claim.case_id)
    if case is None:
        raise NotFound("评价链接无效 / This rating link is not valid")
    rated = rated_parties(session, case)
    done = session.scalar(
        select(Rating).where(Rating.case_id == case.id, Rating.occasion == claim.occasion)
    )
    return {
        "reference": case.reference,
        "item": case.item.name,
        "item_en": case.item.name_en or case.item.name,
        "centre": rated.centre.name if rated.centre else "",
        "agent": rated.agent_name,
        "delivered_on": cst_date(rated.delivered_at),
        "rated": done is not None,
        "rated_level": KEY_OF[Level(done.level)] if done else None,
        "levels": [{"key": KEY_OF[lv], "zh": zh, "en": en} for lv, (zh, en) in LEVEL_NAMES.items()],
        "tags": list(TAGS),
    }


def rate_by_link(
    session: DbSession,
    token: str,
    level: str,
    comment: str = "",
    tags: list[str] | None = None,
    now: datetime | None = None,
) -> Rating:
    """The villager's own rating from the SMS link; a second one for the case is a 409."""
    claim = read_token(current_app.config["SECRET_KEY"], token)
    case = session.get(Case, claim.case_id)
    if case is None:
        raise NotFound("评价链接无效 / This rating link is not valid")
    return _rate_once(
        session,
        case,
        claim.occasion,
        parse_level(level),
        Source.SMS,
        now,
        comment=comment,
        tags=tags,
    )


def record_rating(
    session: DbSession,
    scope: Scope,
    case_id: int,
    level: str,
    source: str,
    comment: str = "",
    tags: list[str] | None = None,
    now: datetime | None = None,
) -> Rating:
    """A rating village staff took by telephone call-back, or the village room's screen."""
    if scope.role not in RECORDERS:
        raise Forbidden("只有村（社区）工作人员或调度员可以录入评价 / Only staff record ratings")
    case = session.scalar(
        select(Case)
        .join(Case.village)
        .where(Case.id == case_id, Region.code.like(f"{scope.prefix}%"))
    )
    if case is None:
        raise NotFound(f"没有代办件 {case_id}，或不在您的辖区 / No case {case_id} in your scope")
    if source not in (Source.CALLBACK, Source.SCREEN):
        raise Invalid("来源无效 / Unknown source", {"source": ["callback or screen"]})
    return _rate_once(
        session,
        case,
        "delivery",
        parse_level(level),
        Source(source),
        now,
        comment=comment,
        tags=tags,
        recorded_by_id=scope.user_id,
    )


def _rate_once(
    session: DbSession,
    case: Case,
    occasion: str,
    level: Level,
    source: Source,
    now: datetime | None,
    **extra: Any,
) -> Rating:
    if _already(session, case.id, occasion):
        raise Conflict("此件已评价（一事一评） / This case has been rated already (one per case)")
    rated = rated_parties(session, case)
    rating = _add_rating(session, rated, level, source, now or datetime.now(UTC), **extra)
    session.commit()
    return rating


def apply_default_ratings(session: DbSession, now: datetime | None = None) -> int:
    """Delivered cases unrated for RATING_DEFAULT_DAYS natural days get 基本满意; idempotent."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=current_app.config["RATING_DEFAULT_DAYS"])
    delivered = (
        select(StatusChange.case_id)
        .where(StatusChange.to_status == Status.DELIVERED, StatusChange.at <= cutoff)
        .scalar_subquery()
    )
    cases = session.scalars(
        select(Case)
        .where(
            Case.status.in_([s.value for s in RATED_STATUSES]),
            Case.id.in_(delivered),
            ~exists().where(Rating.case_id == Case.id, Rating.occasion == "delivery"),
        )
        .order_by(Case.id)
    ).all()
    for case in cases:
        _add_rating(session, rated_parties(session, case), Level.BASIC, Source.DEFAULT, now)
    session.commit()
    return len(cases)


def scoped_ratings(scope: Scope) -> Select[Rating]:
    """Ratings in the caller's region; an agent sees only the ratings of their own work."""
    if scope.role not in READERS:
        raise Forbidden("无权查看评价 / Your role cannot see ratings")
    stmt = select(Rating).where(Rating.township_code.like(f"{scope.prefix}%"))
    if scope.role == Role.AGENT:
        stmt = select(Rating).where(Rating.agent_id == scope.agent_id)
    return stmt


def list_ratings(scope: Scope, bad_only: bool = False) -> Any:
    stmt = scoped_ratings(scope)
    if bad_only:
        stmt = stmt.where(Rating.bad.is_(True))
    return stmt.order_by(Rating.rated_at.desc(), Rating.id.desc())


def shielded(scope: Scope) -> bool:
    """Whether the caller reads ratings without the case and the villager behind them."""
    return scope.role == Role.AGENT
