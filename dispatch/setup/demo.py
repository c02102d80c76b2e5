"""The embedded demo: the catalogue, a population across all townships, and one login per role.

Everything here is demo data, deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from dispatch.datafiles import DataFileError, read_json
from dispatch.models.agents import Agent, AgentLevel, Vehicle, VehicleKind
from dispatch.models.applicants import Applicant
from dispatch.models.cases import Case, CustodyEvent, HolderKind, Status, StatusChange
from dispatch.models.catalog import ServiceItem
from dispatch.models.centres import CentreKind, ServiceCentre
from dispatch.models.entrustments import CapturedAt, Covers, Entrustment
from dispatch.models.plans import Plan, PlanStatus
from dispatch.models.regions import Level, Region, code_at, township_code
from dispatch.models.register import TOWNSHIP_ITEMS, VILLAGE_ITEMS, RegisterEntry
from dispatch.models.session import DbSession
from dispatch.models.users import User
from dispatch.services.cases import promised_date
from dispatch.services.images import keep
from dispatch.services.passwords import hash_password
from dispatch.services.validation import id_check_char
from dispatch.workdays import cst_date

CATALOG = Path(__file__).resolve().parent.parent / "data" / "catalog.json"
ZONE_SIZE = 6  # villages per village agent's zone (片区)

SURNAMES = "陈林黄李吴郑蔡张许杨谢刘王洪魏庄江周曾方余罗彭卢赖温邱"
GIVEN = "秀英丽华志强建国明辉文俊海燕美玲少雄锦泉炳坤丽娟淑珍佩珊宏伟振邦楚生育才瑞芳"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    region: str


# The dispatcher's township is 揭东区 玉窖镇; its agent and village staff work there too.
DEMO_TOWNSHIP = "445203103000"
DEMO_AGENT_LOGIN = "agent"
NON_TASK_STOPS = ("start", "end", "break")
DEMO_LOGINS = (
    DemoLogin("admin", "admin-demo-2026", "admin", "-"),
    DemoLogin("supervisor", "super-demo-2026", "supervisor", "445200000000"),
    DemoLogin("county", "county-demo-2026", "supervisor", "445203000000"),
    DemoLogin("dispatcher", "dispatch-demo-2026", "dispatcher", DEMO_TOWNSHIP),
    DemoLogin("agent", "agent-demo-2026", "agent", DEMO_TOWNSHIP),
    DemoLogin("staff", "staff-demo-2026", "village_staff", "(first village of the township)"),
)


def demo_is_seeded(session: DbSession) -> bool:
    return bool(session.scalar(select(func.count()).select_from(ServiceItem)))


def seed_catalog(session: DbSession, path: Path = CATALOG) -> int:
    """Upsert the demo catalogue by code; a malformed file is a ``DataFileError``."""
    data = read_json(path, required=("items",))
    existing = {i.code: i for i in session.scalars(select(ServiceItem))}
    for n, raw in enumerate(data["items"]):
        try:
            item = existing.get(raw["code"]) or ServiceItem(code=raw["code"])
            item.name, item.name_en, item.level = raw["name"], raw.get("name_en", ""), raw["level"]
            item.in_person, item.promised_days = raw["in_person"], int(raw["promised_days"])
            item.materials = raw["materials"]
            item.fee_yuan = raw.get("fee_yuan", 0)
            item.counter_minutes = int(raw.get("counter_minutes", 30))
            item.guide = raw.get("guide", "") + (
                "\n" + raw["guide_en"] if raw.get("guide_en") else ""
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFileError(path, f"items[{n}]: {exc!r}") from None
        item.is_demo = bool(data.get("demo", True))
        session.add(item)
    session.flush()
    return len(data["items"])


def _id_number(rng: random.Random, village_code: str) -> str:
    born = datetime(1935, 1, 1) + timedelta(days=rng.randrange(0, 365 * 70))
    first17 = f"{village_code[:6]}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return first17 + id_check_char(first17)


def _phone(rng: random.Random) -> str:
    return rng.choice(["138", "139", "135", "136", "150", "158", "188", "189", "133", "177"]) + (
        f"{rng.randrange(0, 10**8):08d}"
    )


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))


def _near(rng: random.Random, region: Region, km: float = 0.6) -> tuple[float, float]:
    assert region.lon is not None and region.lat is not None
    return (
        round(region.lon + rng.uniform(-km, km) / 102.0, 6),
        round(region.lat + rng.uniform(-km, km) / 111.0, 6),
    )


def _centre(session: DbSession, region: Region, kind: CentreKind) -> ServiceCentre:
    suffix = "便民服务室" if kind == CentreKind.VILLAGE else "政务服务中心"
    assert region.lon is not None and region.lat is not None
    centre = ServiceCentre(
        region_id=region.id,
        kind=kind,
        name=f"{region.name}{suffix}",
        lon=region.lon,
        lat=region.lat,
        address=f"{region.name}",
    )
    session.add(centre)
    return centre


def seed_demo(
    session: DbSession,
    seed: int = 7,
    on_township: Callable[[], None] | None = None,
    now: datetime | None = None,
    only: set[str] | None = None,
) -> dict[str, Any]:
    """Seed centres, vehicles, agents, applicants and open cases in all townships.

    ``only`` limits the population to some township codes (tests use a few).
    """
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    n_items = seed_catalog(session)
    # Village items are decided on the spot and never open, so no seeded case has one.
    items = list(
        session.scalars(
            select(ServiceItem).where(ServiceItem.level != "village").order_by(ServiceItem.code)
        )
    )
    regions = list(session.scalars(select(Region).order_by(Region.code)))
    if not regions:
        raise RuntimeError("import the divisions first: daiban import-divisions")
    children: dict[int | None, list[Region]] = {}
    for r in regions:
        children.setdefault(r.parent_id, []).append(r)
    counts = {"centres": 0, "vehicles": 0, "agents": 0, "applicants": 0, "cases": 0}
    centres: dict[str, ServiceCentre] = {}
    for region in regions:
        if region.level in (Level.CITY, Level.COUNTY) and region.lon is not None:
            centres[region.code] = _centre(session, region, CentreKind(region.level))
            counts["centres"] += 1
    townships = [r for r in regions if r.level == Level.TOWNSHIP and (not only or r.code in only)]
    for township in townships:
        villages = [v for v in children.get(township.id, []) if v.lon is not None]
        if township.lon is None or not villages:
            if on_township:
                on_township()
            continue
        _seed_township(session, rng, township, villages, items, now, counts, centres)
        if on_township:
            on_township()
    counts["register entries"] = _seed_register(session, seed, townships, children, now)
    session.flush()
    _seed_users(session)
    session.commit()
    return {"service items": n_items, **counts, "users": len(DEMO_LOGINS)}


def _seed_township(
    session: DbSession,
    rng: random.Random,
    township: Region,
    villages: list[Region],
    items: list[ServiceItem],
    now: datetime,
    counts: dict[str, int],
    centres: dict[str, ServiceCentre],
) -> None:
    centre = _centre(session, township, CentreKind.TOWNSHIP)
    centres[township.code] = centre
    session.flush()
    car = Vehicle(
        kind=VehicleKind.CAR,
        plate=f"粤V·{rng.randrange(10000, 99999)}",
        seats=3,
        bag_capacity=60,
        home_centre_id=centre.id,
    )
    driver = Agent(
        name=_name(rng),
        phone=_phone(rng),
        level=AgentLevel.TOWNSHIP,
        region_id=township.id,
        vehicle=car,
    )
    driver.zone = list(villages)
    zone_agent: dict[int, Agent] = {}
    session.add_all([car, driver])
    counts["vehicles"] += 1
    counts["agents"] += 1
    for start in range(0, len(villages), ZONE_SIZE):
        zone = villages[start : start + ZONE_SIZE]
        bike = Vehicle(
            kind=VehicleKind.MOTORBIKE, plate="", seats=0, bag_capacity=12, home_centre_id=centre.id
        )
        agent = Agent(
            name=_name(rng),
            phone=_phone(rng),
            level=AgentLevel.VILLAGE,
            region_id=township.id,
            vehicle=bike,
        )
        agent.zone = list(zone)
        zone_agent.update({v.id: agent for v in zone})
        session.add_all([bike, agent])
        counts["vehicles"] += 1
        counts["agents"] += 1
    for village in villages:
        _centre(session, village, CentreKind.VILLAGE)
        counts["centres"] += 1
        for _ in range(rng.randint(2, 4)):
            lon, lat = _near(rng, village)
            applicant = Applicant(
                name=_name(rng),
                phone=_phone(rng),
                id_number=_id_number(rng, village.code),
                village_id=village.id,
                address=f"{village.name}{rng.randint(1, 200)}号",
                lon=lon,
                lat=lat,
                vulnerable=rng.random() < 0.3,
            )
            session.add(applicant)
            counts["applicants"] += 1
            if rng.random() < 0.55:
                case = _seed_case(session, rng, applicant, village, items, now, centres)
                if case.channel == "agent":
                    _entrust(session, case, zone_agent[village.id])
                counts["cases"] += 1


# The register is demo data, seeded realistically incomplete: about a third of the townships
# finished everything, the rest finish each item with the chance below; touch screens and the
# 便民 motorbikes lag, as new purchases do. Dates fall between March and last week.
REGISTER_DONE_TOWNSHIPS = 0.35
REGISTER_ITEM_CHANCE = {"touch_screen": 0.7, "motorbike": 0.6, "service_car": 0.8}
REGISTER_DEFAULT_CHANCE = 0.92


def _seed_register(
    session: DbSession,
    seed: int,
    townships: list[Region],
    children: dict[int | None, list[Region]],
    now: datetime,
) -> int:
    # Its own generator: the population above stays what it was for a given seed.
    rng = random.Random(f"register-{seed}")
    first = date(cst_date(now).year, 3, 1)
    span = max((cst_date(now) - first).days - 7, 1)
    n = 0
    for town in townships:
        finished = rng.random() < REGISTER_DONE_TOWNSHIPS
        places = [(town, TOWNSHIP_ITEMS)] + [
            (v, VILLAGE_ITEMS) for v in children.get(town.id, []) if v.level == Level.VILLAGE
        ]
        for place, items in places:
            for key, _zh, _en in items:
                chance = 1.0 if finished else REGISTER_ITEM_CHANCE.get(key, REGISTER_DEFAULT_CHANCE)
                if rng.random() >= chance:
                    continue
                done = first + timedelta(days=rng.randrange(span))
                session.add(
                    RegisterEntry(
                        region_id=place.id, item=key, completed_on=done, note="示例数据 / demo"
                    )
                )
                n += 1
    return n


OPEN_STATUSES = [
    (Status.REGISTERED, 3),
    (Status.MATERIALS_CHECKED, 4),
    (Status.WITH_AGENT, 1),
    (Status.AT_TOWNSHIP, 2),
    (Status.AT_COUNTY, 2),
    (Status.DECIDED, 2),
    (Status.RETURNING, 1),
]
PATH = [
    Status.REGISTERED,
    Status.MATERIALS_CHECKED,
    Status.AT_TOWNSHIP,
    Status.AT_COUNTY,
    Status.DECIDED,
]


def _seed_case(
    session: DbSession,
    rng: random.Random,
    applicant: Applicant,
    village: Region,
    items: list[ServiceItem],
    now: datetime,
    centres: dict[str, ServiceCentre],
) -> Case:
    item = rng.choice(items)
    status = rng.choices([s for s, _ in OPEN_STATUSES], [w for _, w in OPEN_STATUSES])[0]
    if status == Status.AT_COUNTY and item.level == "township":
        status = Status.AT_TOWNSHIP
    registered = now - timedelta(days=rng.randint(0, 12), hours=rng.randint(0, 8))
    case = Case(
        reference="pending",
        applicant=applicant,
        item=item,
        village_id=village.id,
        channel=rng.choice(["agent", "on_site", "online_assisted"]),
        status=status,
        registered_at=registered,
        due_date=promised_date(registered, item.promised_days),
        promised_days=item.promised_days,
        holder_kind=HolderKind.APPLICANT,
        holder_id=0,
    )
    session.add(case)
    session.flush()
    case.reference = f"DB{cst_date(registered):%y%m%d}{case.id:06d}"
    case.holder_id = applicant.id
    previous = None
    for step in PATH:
        if step == Status.AT_COUNTY and item.level == "township":
            continue
        case.history.append(StatusChange(from_status=previous, to_status=step, at=registered))
        previous = step
        if step == status:
            break
    else:
        case.history.append(StatusChange(from_status=previous, to_status=status, at=registered))
    _seed_custody(session, case, status, registered, centres)
    return case


# A blank 1x1 PNG stands for the villager's signature on a seeded entrustment.
DEMO_SIGNATURE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def _entrust(session: DbSession, case: Case, agent: Agent) -> None:
    """An agent case starts with its entrustment (代办委托书), signed at the village room and
    written to the township's agents (委托本镇代办员), so the planner may send any of them."""
    session.add(
        Entrustment(
            case=case,
            agent=agent,
            materials=[m["name"] for m in case.item.materials],
            valid_until=case.due_date + timedelta(days=90),
            captured_at=CapturedAt.VILLAGE_ROOM,
            covers=Covers.TOWNSHIP,
            signed_at=case.registered_at,
            signature_hash=keep(DEMO_SIGNATURE, "signature_png"),
        )
    )


def _seed_custody(
    session: DbSession, case: Case, status: Status, at: datetime, centres: dict[str, ServiceCentre]
) -> None:
    """Give seeded cases a plausible custody chain so every holder is real."""
    township_centre = centres.get(township_code(case.village.code))
    county_centre = centres.get(code_at(case.village.code, Level.COUNTY))
    chain: list[tuple[HolderKind, int]] = []
    if status in (Status.AT_TOWNSHIP, Status.DECIDED, Status.RETURNING, Status.AT_COUNTY):
        assert township_centre is not None
        chain.append((HolderKind.CENTRE, township_centre.id))
    went_up = status == Status.AT_COUNTY or (
        status in (Status.DECIDED, Status.RETURNING) and case.item.level != "township"
    )
    if went_up and county_centre is not None:
        chain.append((HolderKind.CENTRE, county_centre.id))
    if status == Status.RETURNING and township_centre is not None:
        chain.append((HolderKind.CENTRE, township_centre.id))
    holder = (HolderKind.APPLICANT, case.applicant_id)
    for seq, (kind, ref) in enumerate(chain, start=1):
        session.add(
            CustodyEvent(
                case_id=case.id,
                seq=seq,
                receipt_no=f"JJ{cst_date(at):%Y%m%d}{case.id:06d}{seq:03d}",
                from_kind=holder[0],
                from_id=holder[1],
                to_kind=kind,
                to_id=ref,
                centre_id=ref,
                at=at,
                note="示例数据 / demo",
            )
        )
        holder = (kind, ref)
    case.holder_kind, case.holder_id = holder


# The demo's township dispatcher and county supervisor get made-up mobiles, so the SMS of an
# overdue rectification has somewhere to go (the log channel, unless SMS is configured).
DEMO_STAFF_PHONES = {"dispatcher": "13800000101", "county": "13800000102"}


def _seed_users(session: DbSession) -> None:
    township = session.scalar(select(Region).where(Region.code == DEMO_TOWNSHIP))
    assert township is not None
    agent = session.scalar(
        select(Agent)
        .where(Agent.region_id == township.id, Agent.level == AgentLevel.VILLAGE)
        .order_by(Agent.id)
    )
    village = session.scalar(
        select(Region)
        .where(Region.parent_id == township.id, Region.lon.is_not(None))
        .order_by(Region.code)
    )
    assert village is not None
    region_for = {"-": None, "(first village of the township)": village.id}
    for login in DEMO_LOGINS:
        if session.scalar(select(User).where(User.username == login.username)):
            continue
        if login.region in region_for:
            region_id = region_for[login.region]
        else:
            region_id = session.scalar(select(Region.id).where(Region.code == login.region))
        session.add(
            User(
                username=login.username,
                password_hash=hash_password(login.password),
                role=login.role,
                region_id=region_id,
                agent_id=agent.id if login.role == "agent" and agent else None,
                phone=DEMO_STAFF_PHONES.get(login.username, ""),
            )
        )


def bind_demo_agent(session: DbSession, day: date) -> Agent | None:
    """Bind the ``agent`` login to an agent with stops on ``day`` in the demo township.

    The seed binds it to the township's first village agent, whom the plan may give nothing;
    a newcomer logging in as the agent should see a route. Kept when it already has stops.
    """
    user = session.scalar(select(User).where(User.username == DEMO_AGENT_LOGIN))
    plan = session.scalar(
        select(Plan)
        .join(Region, Plan.township_id == Region.id)
        .where(Region.code == DEMO_TOWNSHIP, Plan.day == day, Plan.status == PlanStatus.PUBLISHED)
        .order_by(Plan.version.desc())
        .limit(1)
    )
    if user is None or plan is None:
        return None
    stops = {r.agent_id: sum(s.kind not in NON_TASK_STOPS for s in r.stops) for r in plan.routes}
    if not stops.get(user.agent_id or 0):
        busiest = max(sorted(stops), key=lambda agent_id: stops[agent_id], default=None)
        if busiest is None or not stops[busiest]:
            return None
        user.agent_id = busiest
        session.commit()
    return session.get(Agent, user.agent_id)
