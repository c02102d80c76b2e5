"""The demo's past: delivered cases across the townships, their 好差评 and rectifications.

Without it the supervisor's page of a fresh demo has nothing to draw. Every row is made by
the services a real day would call (register, entrust, hand over, decide, rate, verify,
rectify, call back, appeal, the daily 7-day default), with ``now`` set in the past, so the
history obeys the same rules as live data. It is demo data, deterministic for a seed.

Each township has its own punctuality and its own villagers' mood, drawn once, so the maps
and the assessment differ between places. A 差评's steps are done as far as their time has
come: old ones are mostly closed (some late), recent ones are still open, a few stall and
become overdue; some are appealed, and the county removes some of those.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from dispatch.models.agents import Agent, AgentLevel
from dispatch.models.applicants import Applicant
from dispatch.models.cases import Case
from dispatch.models.catalog import ServiceItem
from dispatch.models.centres import ServiceCentre
from dispatch.models.outbox import OutboxMessage, OutboxStatus
from dispatch.models.ratings import Rating
from dispatch.models.regions import Level, Region, decision_code
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope, User
from dispatch.services import cases, entrustments, ratings, rectification
from dispatch.services.rating_tokens import make_token
from dispatch.setup.demo import DEMO_SIGNATURE
from dispatch.workdays import CST, add_working_days, cst_date, is_working_day

HISTORY_WORKING_DAYS = 66  # about three months back from the demo day
CASES_PER_TOWNSHIP_DAY = 0.08
# How the villagers answer: by the SMS link, by a staff call-back, at the room's screen, or
# not at all (which becomes 基本满意 after 7 days).
ANSWERS = (("sms", 0.5), ("callback", 0.2), ("screen", 0.1), ("silent", 0.2))
LEVELS = ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied")
BAD_COMMENTS: tuple[tuple[str, list[str]], ...] = (
    ("上门时间比约定晚了一个多小时", ["上门准时"]),
    ("办了很久才拿到，中间也没人告知进度", ["时效"]),
    ("让我补了两次材料，一次说清楚就好了", ["材料"]),
    ("代办员态度不耐烦", ["态度"]),
    ("证件送回来时有折痕", []),
)
GOOD_COMMENTS = ("很方便，不用跑镇上", "代办员很耐心", "比预计快", "")
STALL_CHANCE = 0.08  # a 差评 whose township stops at some step: it becomes overdue
APPEAL_CHANCE = 0.12
NOTE = "示例历史 / demo history"


# Plain ids and values, never ORM objects, are kept across the services' commits: a session
# holding thousands of rows expires and reloads them all at every commit.
@dataclass(frozen=True)
class Town:
    centre_id: int
    agent_ids: list[int]
    villagers: list[tuple[int, str]]  # applicant id, village code
    punctual: float  # the share of its cases delivered by the promised day
    bad_share: float  # the share of 差评 among its villagers' answers


@dataclass(frozen=True)
class Item:
    code: str
    level: str
    promised_days: int
    materials: list[str]


def _moment(day: date, rng: random.Random, start: int = 9, end: int = 17) -> datetime:
    clock = time(rng.randrange(start, end), rng.randrange(60))
    return datetime.combine(day, clock, CST).astimezone(UTC)


def _past_working_days(today: date, n: int) -> list[date]:
    days: list[date] = []
    day = today - timedelta(days=1)
    while len(days) < n:
        if is_working_day(day):
            days.append(day)
        day -= timedelta(days=1)
    return days[::-1]


def _towns(session: DbSession, rng: random.Random) -> list[Town]:
    towns = []
    regions = session.execute(
        select(Region.id, Region.code).where(Region.level == Level.TOWNSHIP).order_by(Region.code)
    ).all()
    for region_id, _code in regions:
        centre_id = session.scalar(
            select(ServiceCentre.id).where(
                ServiceCentre.region_id == region_id, ServiceCentre.kind == "township"
            )
        )
        agent_ids = list(
            session.scalars(
                select(Agent.id)
                .where(
                    Agent.region_id == region_id,
                    Agent.level == AgentLevel.VILLAGE,
                    Agent.active.is_(True),
                )
                .order_by(Agent.id)
            )
        )
        villagers = [
            (applicant_id, code)
            for applicant_id, code in session.execute(
                select(Applicant.id, Region.code)
                .join(Region, Applicant.village_id == Region.id)
                .where(Region.parent_id == region_id)
                .order_by(Applicant.id)
            )
        ]
        if centre_id is None or not agent_ids or not villagers:
            continue
        punctual, bad = rng.uniform(0.62, 0.98), rng.uniform(0.02, 0.14)
        towns.append(Town(centre_id, agent_ids, villagers, punctual, bad))
    return towns


def _admin_scope(session: DbSession) -> Scope:
    admin = session.scalar(select(User).where(User.role == Role.ADMIN).order_by(User.id))
    if admin is None:
        raise RuntimeError("seed the demo first: daiban seed-demo")
    return Scope(admin.id, admin.username, Role.ADMIN, "")


def seed_history(
    session: DbSession,
    seed: int = 7,
    now: datetime | None = None,
    working_days: int = HISTORY_WORKING_DAYS,
    rate: float = CASES_PER_TOWNSHIP_DAY,
) -> dict[str, Any]:
    """Walk ``rate`` cases a township a working day to delivery over the last days, rate them,
    and carry their 差评 as far as the time allows; returns counts."""
    rng = random.Random(f"history-{seed}")
    now = now or datetime.now(UTC)
    started = datetime.now(UTC)
    scope = _admin_scope(session)
    towns = _towns(session, rng)
    items = [
        Item(i.code, i.level, i.promised_days, [m["name"] for m in i.materials])
        for i in session.scalars(
            select(ServiceItem).where(ServiceItem.level != "village").order_by(ServiceItem.code)
        )
    ]
    centres = dict(
        session.execute(
            select(Region.code, ServiceCentre.id)
            .join(ServiceCentre.region)
            .where(ServiceCentre.kind != "village")
        ).all()
    )
    drawn = [
        _plan_case(rng, town, rng.choice(items), day, now)
        for day in _past_working_days(cst_date(now), working_days)
        for town in towns
        if rng.random() < rate
    ]
    plans = sorted((p for p in drawn if p is not None), key=lambda p: p.delivered)
    counts = {"delivered cases": 0, "ratings": 0, "差评": 0, "appeals": 0}
    last_default: date | None = None
    for plan in plans:
        if last_default != cst_date(plan.delivered):
            last_default = cst_date(plan.delivered)
            ratings.apply_default_ratings(session, now=plan.delivered.replace(hour=0, minute=0))
        case = _walk(session, scope, plan, centres)
        counts["delivered cases"] += 1
        rating = _answer(session, scope, rng, plan, case, now)
        if rating is not None and rating.bad:
            counts["差评"] += 1
            counts["appeals"] += _carry_on(session, scope, rng, rating, now)
    ratings.apply_default_ratings(session, now=now)
    _history_sent(session, started)
    rectification.flag_overdue(session, now=now)
    counts["ratings"] = len(session.scalars(select(Rating.id)).all())
    return counts


@dataclass(frozen=True)
class CasePlan:
    town: Town
    item: Item
    villager: tuple[int, str]  # applicant id, village code
    agent_id: int
    channel: str
    registered: datetime
    delivered: datetime


def _plan_case(
    rng: random.Random, town: Town, item: Item, day: date, now: datetime
) -> CasePlan | None:
    """When a case registered on ``day`` is delivered: by its promise, or a few days late."""
    registered = _moment(day, rng, 8, 12)
    due = add_working_days(day, item.promised_days)
    if rng.random() < town.punctual:
        spread = (due - day).days
        delivered_day = day + timedelta(days=rng.randint(max(spread // 3, 1), max(spread, 1)))
        while delivered_day > due or not is_working_day(delivered_day):
            delivered_day -= timedelta(days=1)
        delivered_day = max(delivered_day, add_working_days(day, 1))
    else:
        delivered_day = add_working_days(due, rng.randint(1, 6))
    delivered = _moment(delivered_day, rng, 14, 18)
    if delivered >= now - timedelta(hours=1):
        return None
    channel = rng.choices(["agent", "on_site", "online_assisted"], [7, 2, 1])[0]
    villager = rng.choice(town.villagers)
    return CasePlan(
        town, item, villager, rng.choice(town.agent_ids), channel, registered, delivered
    )


def _walk(session: DbSession, scope: Scope, plan: CasePlan, centres: dict[str, int]) -> Case:
    """Register the case and hand it up and back to the villager, as the services require."""
    t0, t1 = plan.registered, plan.delivered
    steps = 7
    at = [t0 + (t1 - t0) * i / steps for i in range(steps + 1)]
    case = cases.register_case(
        session, scope, plan.villager[0], plan.item.code, plan.channel, note=NOTE, now=at[0]
    )
    if plan.channel == "agent":
        entrustments.capture(
            session,
            scope,
            case,
            agent_id=plan.agent_id,
            materials=plan.item.materials,
            valid_until=case.due_date + timedelta(days=90),
            captured_at="village_room",
            signature_png=DEMO_SIGNATURE,
            now=at[0],
        )
    cases.transition(session, scope, case, "materials_checked", now=at[1])
    township = plan.town.centre_id
    cases.hand_over(session, scope, case, "agent", plan.agent_id, at=at[2], note=NOTE)
    cases.hand_over(session, scope, case, "centre", township, at=at[3], note=NOTE)
    decider = centres.get(decision_code(plan.villager[1], plan.item.level))
    if plan.item.level != "township" and decider is not None:
        cases.hand_over(session, scope, case, "centre", decider, at=at[4], note=NOTE)
        cases.transition(session, scope, case, "decided", now=at[5])
        cases.hand_over(session, scope, case, "centre", township, at=at[5], note=NOTE)
    else:
        cases.transition(session, scope, case, "decided", now=at[5])
    cases.hand_over(session, scope, case, "agent", plan.agent_id, at=at[6], note=NOTE)
    cases.hand_over(session, scope, case, "applicant", plan.villager[0], at=at[7], note=NOTE)
    return case


def _answer(
    session: DbSession,
    scope: Scope,
    rng: random.Random,
    plan: CasePlan,
    case: Case,
    now: datetime,
) -> Rating | None:
    """The villager's answer to the invitation, if any and if its time has come."""
    how = rng.choices([a for a, _ in ANSWERS], [w for _, w in ANSWERS])[0]
    when = plan.delivered + timedelta(hours=rng.uniform(1, 24 if how == "sms" else 120))
    if how == "silent" or when >= now:
        return None
    if rng.random() < plan.town.bad_share:
        level = rng.choice(LEVELS[3:])
        comment, tags = rng.choice(BAD_COMMENTS)
    else:
        level = rng.choices(LEVELS[:3], [55, 30, 15])[0]
        comment, tags = rng.choice(GOOD_COMMENTS), []
    if how == "sms":
        token = make_token(current_app.config["SECRET_KEY"], case.id)
        return ratings.rate_by_link(session, token, level, comment, list(tags), now=when)
    return ratings.record_rating(session, scope, case.id, level, how, comment, list(tags), now=when)


def _carry_on(
    session: DbSession, scope: Scope, rng: random.Random, rating: Rating, now: datetime
) -> int:
    """A 差评's rectification and appeal, each step done when its working day has come."""
    rect = rating.rectification
    assert rect is not None
    at = rating.rated_at
    appealed = 0
    if rng.random() < APPEAL_CHANCE:
        appealed, at, removed = _appeal(session, scope, rng, rating, now)
        if removed:
            return appealed
    stall = rng.randrange(3) if rng.random() < STALL_CHANCE else None
    finding = rng.choices(["true", "false"], [4, 1])[0]
    for n in range(3):
        at = _moment(add_working_days(cst_date(at), rng.choice([1, 1, 2, 3, 4, 6])), rng)
        if n == stall or at >= now:
            break
        _step(session, scope, rng, rect.id, n, finding, at)
    return appealed


def _step(
    session: DbSession,
    scope: Scope,
    rng: random.Random,
    rect_id: int,
    n: int,
    finding: str,
    at: datetime,
) -> None:
    """The township's step ``n``: 0 verify, 1 rectify, 2 call back."""
    if n == 0:
        note = "已电话核实代办员与村民 / checked with the agent and the villager"
        rectification.verify(session, scope, rect_id, finding, note, at)
    elif n == 1:
        measures = (
            "已约谈代办员并调整上门时段 / talked to the agent, visits rescheduled"
            if finding == "true"
            else "已向村民说明办理时限 / explained the time limits to the villager"
        )
        rectification.rectify(session, scope, rect_id, measures, at)
    else:
        outcome = rng.choice(["satisfied", "satisfied", "unreachable"])
        rectification.call_back(session, scope, rect_id, outcome, "", at)


def _appeal(
    session: DbSession, scope: Scope, rng: random.Random, rating: Rating, now: datetime
) -> tuple[int, datetime, bool]:
    """The centre appeals; the county decides after a few working days, if that has come."""
    filed = rating.rated_at + timedelta(hours=rng.uniform(2, 30))
    if filed >= now:
        return 0, rating.rated_at, False
    appeal = rectification.file_appeal(
        session, scope, rating.id, "村民所述与交接记录不符 / not what the hand-over shows", filed
    )
    decided = _moment(add_working_days(cst_date(filed), rng.randint(1, 6)), rng)
    if decided >= now:
        return 1, decided, False
    removed = rng.random() < 0.4
    rectification.decide_appeal(
        session,
        scope,
        appeal.id,
        "removed" if removed else "upheld",
        "交接签收记录显示按时送达，评价与事实不符 / the signed hand-over shows it on time"
        if removed
        else "经核查评价属实，维持 / the rating stands",
        decided,
    )
    return 1, decided, removed


def _history_sent(session: DbSession, since: datetime) -> None:
    """The history's SMS went out long ago: mark its outbox rows sent, not sent again today."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.created_at >= since, OutboxMessage.status == OutboxStatus.PENDING)
        .values(
            status=OutboxStatus.SENT, sent_at=OutboxMessage.created_at, provider_message_id=NOTE
        )
    )
    session.commit()
