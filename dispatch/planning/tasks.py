"""Work out the day's tasks for one township from the cases, bookings and centres.

A task is the next leg of one or more cases: collect at a village room, carry to the county,
bring a certificate back, visit a villager at home. Tasks are plain data with stable keys, so
a re-plan recognises the same task and a dispatcher's pin or forbid keeps applying to it.

A villager who must appear in person rides in the car twice: to the centre, where the agent
stays with them through the counter business, and home again (``dispatch.planning.rides``
keeps the two rides on one car, in order, or drops both).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dispatch.errors import Conflict, NotFound
from dispatch.hours import spans_on
from dispatch.models.agents import Agent, Appointment, AppointmentStatus
from dispatch.models.applicants import Applicant
from dispatch.models.cases import Case, HolderKind, Status
from dispatch.models.catalog import ServiceItem
from dispatch.models.centres import CentreKind, ServiceCentre
from dispatch.models.entrustments import Covers, Entrustment
from dispatch.models.regions import Region, decision_code
from dispatch.models.session import DbSession
from dispatch.planning.labels import HOME_ZH, task_label
from dispatch.workdays import CST, working_days_between

Window = tuple[int, int]
VISIT_SERVICE_S = 20 * 60
STOP_SERVICE_S = 8 * 60
CENTRE_SERVICE_S = 10 * 60
PER_CASE_S = 60
# The business at the counter of an in-person matter when its item does not say (the
# catalogue's ``counter_minutes`` default).
COUNTER_S = 30 * 60
# Cases with a leg that can move: their documents are ready to travel, up or down.
MOVING = (
    Status.MATERIALS_CHECKED,
    Status.WITH_AGENT,
    Status.AT_TOWNSHIP,
    Status.AT_COUNTY,
    Status.DECIDED,
    Status.RETURNING,
    # The branches whose file travels back down (services.branches).
    Status.SUPPLEMENT,
    Status.REFUSED,
    Status.WITHDRAWN,
)
# Down the relay to the villager: the certificate, a 补正 notice, a refusal, a withdrawal.
DOWN = (Status.DECIDED, Status.RETURNING, Status.SUPPLEMENT, Status.REFUSED, Status.WITHDRAWN)
NEVER: tuple[Window, ...] = ((0, 0),)  # no window would mean any time; this one is unreachable


@dataclass(frozen=True)
class Place:
    lon: float
    lat: float
    label: str
    windows: tuple[Window, ...] = ()
    centre_id: int | None = None
    village_id: int | None = None
    applicant_id: int | None = None


@dataclass
class TaskSpec:
    """One routing task; a shipment when ``origin`` is set, else a job at ``place``."""

    key: str
    label: str
    place: Place
    action: str  # collect / hand_over / visit
    case_ids: tuple[int, ...] = ()
    origin: Place | None = None
    service_s: int = STOP_SERVICE_S
    drop_service_s: int | None = None  # at the delivery; None: the pickup's, at most 10 min
    bags: int = 0
    seats: int = 0
    needs_car: bool = False
    priority: int = 30
    held_by_agent: int | None = None
    # A collection the villager entrusted to this agent alone (``Covers.AGENT``): only they
    # may take the documents, so the task is pinned to them.
    entrusted_to: int | None = None
    ride_out: str | None = None  # a ride home: the key of the ride to the centre it follows
    carried: bool = False  # the open delivery of a shipment already picked up (a re-plan)


@dataclass
class DayContext:
    township: Region
    day: date
    centre: ServiceCentre
    agents: list[Agent]
    tasks: list[TaskSpec] = field(default_factory=list)
    waiting: dict[int, str] = field(default_factory=dict)  # case id -> why it is not moving
    # Read when the plan is stored, after other townships' commits have expired ``agents``.
    agent_names: dict[int, str] = field(default_factory=dict)


def seconds(moment: datetime) -> int:
    local = moment.astimezone(CST)
    return local.hour * 3600 + local.minute * 60 + local.second


def centre_windows(centre: ServiceCentre, day: date) -> tuple[Window, ...]:
    closed = {c.day for c in centre.closed_days}
    spans = spans_on(centre.opening_hours, day, closed, centre.follows_holidays)
    return tuple((seconds(a), seconds(b)) for a, b in spans)


def _place_of_centre(centre: ServiceCentre, day: date) -> Place:
    return Place(
        centre.lon,
        centre.lat,
        centre.name,
        centre_windows(centre, day),
        centre_id=centre.id,
        village_id=centre.region_id,
    )


def urgency(due: date, day: date) -> int:
    """Priority 0-100: rises as the promised date nears; overdue is the most urgent."""
    if (due - day).days > 14:  # far off: no need to count working days one by one
        return 30
    left = working_days_between(day, due)
    if left < 0:
        return 95
    return {0: 90, 1: 80, 2: 65, 3: 50}.get(left, 30)


def load_context(session: DbSession, township_code: str, day: date) -> DayContext:
    township = session.scalar(select(Region).where(Region.code == township_code))
    if township is None or township.level != "township":
        raise NotFound(f"没有乡镇 {township_code} / No township {township_code}")
    centre = session.scalar(
        select(ServiceCentre)
        .where(ServiceCentre.region_id == township.id, ServiceCentre.kind == CentreKind.TOWNSHIP)
        .options(selectinload(ServiceCentre.closed_days))
    )
    if centre is None:
        raise Conflict(
            f"{township.name}没有政务服务中心 / {township.name} has no service centre "
            "to plan from; add one with POST /api/centres/"
        )
    if not centre_windows(centre, day):
        raise Conflict(
            f"{day} 中心不办公（节假日或闭馆）/ The centre is closed on {day}: "
            "a holiday, a weekend or a closed day; pick a working day"
        )
    agents = list(
        session.scalars(
            select(Agent)
            .where(
                Agent.region_id == township.id,
                Agent.active.is_(True),
                Agent.vehicle_id.is_not(None),
            )
            .order_by(Agent.id)
            .options(selectinload(Agent.vehicle))
        )
    )
    return DayContext(
        township=township,
        day=day,
        centre=centre,
        agents=agents,
        agent_names={a.id: a.name for a in agents},
    )


def derive_tasks(
    session: DbSession, ctx: DayContext, on_board: frozenset[int] = frozenset()
) -> list[TaskSpec]:
    """Every leg that can move today, grouped where one stop serves several cases.

    ``on_board``: cases an agent has picked up and still carries to a delivery already
    planned (``dispatch.planning.carried``); they get no second leg.
    """
    hub = _place_of_centre(ctx.centre, ctx.day)
    prefix = ctx.township.short_code
    cases = list(
        session.scalars(
            select(Case)
            .join(Case.village)
            .where(
                Region.code.like(f"{prefix}%"),
                Case.status.in_([s.value for s in MOVING]),
            )
            .order_by(Case.id)
            .options(
                selectinload(Case.item),
                selectinload(Case.village),
                selectinload(Case.applicant),
                selectinload(Case.custody),
            )
        )
    )
    visits = _visits(session, ctx, hub)
    visiting = {cid for t in visits for cid in t.case_ids}
    tasks = list(visits)
    centres = _centres_for(session, prefix)
    village_rooms = {c.region_id: c for c in centres.values() if c.kind == CentreKind.VILLAGE}
    named = entrusted_agents(session, [c.id for c in cases], ctx.day)
    groups: dict[tuple[str, int, int], list[Case]] = defaultdict(list)
    for case in cases:
        if case.id in visiting or case.id in on_board:
            continue
        holder = centres.get(case.holder_id) if case.holder_kind == HolderKind.CENTRE else None
        key = _leg(case, holder, ctx)
        if key is None:
            continue
        # Cases entrusted to different agents cannot share one collection.
        pin = named.get(case.id, 0) if key[0] == "collect" else 0
        groups[(*key, pin)].append(case)
    for (leg, ref, pin), members in sorted(groups.items()):
        task = _group_task(leg, ref, members, ctx, hub, centres, village_rooms, pin or None)
        if task is not None:
            tasks.append(task)
    return tasks


def entrusted_agents(session: DbSession, case_ids: list[int], day: date) -> dict[int, int]:
    """Case id -> the one agent its entrustment in force names (``Covers.AGENT``); cases
    entrusted to the township's agents, or to nobody, are not in it."""
    newest: dict[int, Entrustment] = {}
    for found in session.scalars(
        select(Entrustment).where(Entrustment.case_id.in_(case_ids)).order_by(Entrustment.id)
    ):
        newest[found.case_id] = found
    return {
        cid: e.agent_id for cid, e in newest.items() if e.in_force(day) and e.covers == Covers.AGENT
    }


def _leg(case: Case, holder: ServiceCentre | None, ctx: DayContext) -> tuple[str, int] | None:
    status = Status(case.status)
    if case.item.level == "village":  # decided and delivered at the room: no legs
        return None
    if status == Status.MATERIALS_CHECKED and case.holder_kind in (
        HolderKind.APPLICANT,
        HolderKind.CENTRE,
    ):
        return ("collect", case.village_id)
    if case.holder_kind == HolderKind.AGENT:
        return _carrying(case, status)
    if status == Status.AT_TOWNSHIP and holder is not None and holder.id == ctx.centre.id:
        if case.item.level in ("county", "city"):
            if _missed_cutoff(case, ctx):
                ctx.waiting[case.id] = (
                    "送达乡镇晚于发车截止时间，等下一班 / reached the township after the car's "
                    "cut-off; waits for the next county run"
                )
                return None
            return ("county_out", case.item.level == "city")
        ctx.waiting[case.id] = "乡镇审批中 / being decided at the township"
        return None
    if status == Status.AT_COUNTY:
        ctx.waiting[case.id] = "县/市审批中 / being decided at the county or city"
        return None
    if status in DOWN and holder is not None and holder.kind in ("county", "city"):
        return ("county_in", holder.id)
    if status in DOWN and holder is not None and (holder.id == ctx.centre.id):
        if case.applicant.vulnerable:
            return ("return_home", case.id)
        return ("return", case.village_id)
    return None


def _carrying(case: Case, status: Status) -> tuple[str, int] | None:
    """The leg of documents an agent holds: on to where they were going.

    On the day of a pickup a re-plan keeps the planned delivery (``carried``); these legs
    are for documents still held on a later day (a delivery failed, or was never planned).
    """
    going_up = case.item.level in ("county", "city")
    if status == Status.WITH_AGENT or (status == Status.AT_TOWNSHIP and not going_up):
        return ("drop", case.holder_id)
    if status == Status.AT_TOWNSHIP:
        return ("carry_up", case.id)  # taken from the centre for the county run
    if status in DOWN:
        return ("carry_down", case.id)  # the certificate (or the file), on its way home
    return None


def cutoff_seconds(ctx: DayContext) -> int:
    """The car leaves for the county when the township centre opens (its first span)."""
    windows = centre_windows(ctx.centre, ctx.day)
    return windows[0][0] if windows else 0


def _missed_cutoff(case: Case, ctx: DayContext) -> bool:
    if not case.custody:
        return False
    arrived = case.custody[-1].at.astimezone(CST)
    return arrived.date() == ctx.day and seconds(arrived) > cutoff_seconds(ctx)


def _group_task(
    leg: str,
    ref: int,
    members: list[Case],
    ctx: DayContext,
    hub: Place,
    centres: dict[int, ServiceCentre],
    rooms: dict[int, ServiceCentre],
    entrusted_to: int | None = None,
) -> TaskSpec | None:
    ids = tuple(c.id for c in members)
    prio = max(urgency(c.due_date, ctx.day) for c in members)
    n = len(members)
    service = STOP_SERVICE_S + PER_CASE_S * n
    first = members[0]
    if leg == "collect":
        room = rooms.get(ref)
        origin = (
            _place_of_centre(room, ctx.day)
            if room
            else Place(
                first.village.lon or hub.lon, first.village.lat or hub.lat, first.village.name
            )
        )
        return TaskSpec(
            f"collect:{first.village.code}" + (f":agent:{entrusted_to}" if entrusted_to else ""),
            task_label("collect", first.village.name),
            hub,
            "collect",
            ids,
            origin=origin,
            service_s=service,
            bags=n,
            priority=prio,
            entrusted_to=entrusted_to,
        )
    if leg == "drop":
        return TaskSpec(
            f"drop:agent:{ref}",
            task_label("drop", hub.label),
            hub,
            "hand_over",
            ids,
            service_s=service,
            bags=0,
            priority=prio,
            held_by_agent=ref,
        )
    if leg in ("county_out", "carry_up"):  # the car's run up; carry_up: already on board
        dest = _decision_centre(first, centres)
        if dest is None:
            return None
        held = leg == "carry_up"
        return TaskSpec(
            f"carry_up:{first.id}" if held else f"county_out:{dest.id}",
            task_label("county_out", dest.name),
            _place_of_centre(dest, ctx.day),
            "hand_over",
            ids,
            origin=None if held else _cutoff(hub),
            service_s=CENTRE_SERVICE_S + PER_CASE_S * n,
            bags=n,
            needs_car=True,
            priority=prio,
            held_by_agent=first.holder_id if held else None,
        )
    if leg == "county_in":
        source = centres[ref]
        return TaskSpec(
            f"county_in:{source.id}",
            task_label("county_in", source.name),
            hub,
            "collect",
            ids,
            origin=_place_of_centre(source, ctx.day),
            service_s=CENTRE_SERVICE_S + PER_CASE_S * n,
            bags=n,
            needs_car=True,
            priority=prio,
        )
    if leg == "carry_down":
        home = _villager_place(first, hub, rooms, ctx.day)
        return TaskSpec(
            f"carry_down:{first.id}",
            task_label("carry_down", home.label),
            home,
            "hand_over",
            ids,
            service_s=VISIT_SERVICE_S if home.applicant_id else service,
            bags=1,
            priority=prio,
            held_by_agent=first.holder_id,
        )
    if leg == "return":
        room = rooms.get(ref)
        village_place = (
            _place_of_centre(room, ctx.day)
            if room
            else Place(
                first.village.lon or hub.lon, first.village.lat or hub.lat, first.village.name
            )
        )
        return TaskSpec(
            f"return:{first.village.code}",
            task_label("return", first.village.name),
            village_place,
            "hand_over",
            ids,
            origin=hub,
            service_s=service,
            bags=n,
            priority=prio,
        )
    if leg == "return_home":
        a = first.applicant
        home = Place(a.lon, a.lat, a.name + HOME_ZH, applicant_id=a.id, village_id=a.village_id)
        return TaskSpec(
            f"return_home:{first.id}",
            task_label("return_home", first.village.name),
            home,
            "hand_over",
            ids,
            origin=hub,
            service_s=VISIT_SERVICE_S,
            bags=1,
            priority=prio,
        )
    return None


def _villager_place(case: Case, hub: Place, rooms: dict[int, ServiceCentre], day: date) -> Place:
    """Where a certificate goes back: a vulnerable applicant's home, else the village room."""
    a = case.applicant
    if a.vulnerable:
        return Place(a.lon, a.lat, a.name + HOME_ZH, applicant_id=a.id, village_id=a.village_id)
    room = rooms.get(case.village_id)
    if room is not None:
        return _place_of_centre(room, day)
    v = case.village
    return Place(v.lon or hub.lon, v.lat or hub.lat, v.name, village_id=v.id)


def _cutoff(hub: Place) -> Place:
    """The car leaves for the county with what is at the centre by the cut-off (first span)."""
    if not hub.windows:
        return hub
    first = hub.windows[0]
    return Place(hub.lon, hub.lat, hub.label, (first,), hub.centre_id, hub.village_id)


def _centres_for(session: DbSession, prefix: str) -> dict[int, ServiceCentre]:
    """The township's own centres (its rooms and hub) and every county and city centre."""
    rows = session.execute(
        select(ServiceCentre, Region.code)
        .join(Region, Region.id == ServiceCentre.region_id)
        .where(
            Region.code.like(f"{prefix}%")
            | ServiceCentre.kind.in_([CentreKind.COUNTY, CentreKind.CITY])
        )
        .options(selectinload(ServiceCentre.closed_days))
    )
    out = {}
    for centre, code in rows:
        centre.region_code = code  # type: ignore[attr-defined]
        out[centre.id] = centre
    return out


def _decision_centre(case: Case, centres: dict[int, ServiceCentre]) -> ServiceCentre | None:
    kind = "city" if case.item.level == "city" else "county"
    code = decision_code(case.village.code, kind)
    for centre in centres.values():
        if centre.kind == kind and centre.region_code == code:  # type: ignore[attr-defined]
            return centre
    return None


def _visits(session: DbSession, ctx: DayContext, hub: Place) -> list[TaskSpec]:
    """Booked home visits today; an applicant who must appear in person rides along."""
    start = datetime.combine(ctx.day, time(0), tzinfo=CST)
    end = datetime.combine(ctx.day, time(23, 59), tzinfo=CST)
    rows = session.scalars(
        select(Appointment)
        .join(Applicant, Applicant.id == Appointment.applicant_id)
        .join(Region, Region.id == Applicant.village_id)
        .where(
            Region.code.like(f"{ctx.township.short_code}%"),
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.window_start >= start,
            Appointment.window_start <= end,
        )
        .order_by(Appointment.id)
    )
    tasks = [
        task
        for apt in rows
        for task in visit_tasks(apt, session.get(Case, apt.case_id) if apt.case_id else None, hub)
    ]
    # A visit that takes the villager's documents goes to the one agent they entrusted.
    taking = [cid for t in tasks for cid in t.case_ids if _with_villager(session, cid)]
    named = entrusted_agents(session, taking, ctx.day)
    for task in tasks:
        task.entrusted_to = next((named[c] for c in task.case_ids if c in named), None)
    return tasks


def _with_villager(session: DbSession, case_id: int) -> bool:
    case = session.get(Case, case_id)
    return case is not None and case.holder_kind == HolderKind.APPLICANT


def hub_of(ctx: DayContext) -> Place:
    """The township centre with today's opening hours."""
    return _place_of_centre(ctx.centre, ctx.day)


def visit_tasks(
    apt: Appointment, case: Case | None, hub: Place, item: ServiceItem | None = None
) -> list[TaskSpec]:
    """A home visit; when the applicant must appear in person, the rides there and back."""
    # ``item``: the service of a visit whose case is not registered yet (a slot looked up).
    item = case.item if case is not None else item
    a = apt.applicant
    window = (seconds(apt.window_start), seconds(apt.window_end))
    home = Place(
        a.lon, a.lat, a.name + HOME_ZH, (window,), applicant_id=a.id, village_id=a.village_id
    )
    ids = (case.id,) if case else ()
    key = f"visit:{apt.id}" if apt.id else "visit:new"
    if item is None or not item.in_person:
        visit = TaskSpec(
            key,
            task_label("visit", a.name),
            home,
            "visit",
            ids,
            service_s=VISIT_SERVICE_S,
            priority=100,
        )
        return [visit]
    return _round_trip(key, a.name, home, ids, hub, item.counter_minutes * 60)


def _round_trip(
    key: str, name: str, home: Place, ids: tuple[int, ...], hub: Place, counter_s: int = COUNTER_S
) -> list[TaskSpec]:
    """The rides to the centre and home again of an applicant who must appear in person."""
    # The agent stays with the applicant at the counter, so the business is the service time
    # of the drop at the centre; it must end before the centre closes.
    office = hub.windows or ((0, 24 * 3600),)
    counter = tuple((lo, hi - counter_s) for lo, hi in office if hi - counter_s >= lo) or NEVER
    # The ride home cannot start before the earliest possible end of the business: a hint
    # that keeps the solver from driving the ride home before the ride there.
    earliest = home.windows[0][0] + VISIT_SERVICE_S + counter_s
    after = tuple((max(lo, earliest), hi) for lo, hi in office if hi >= earliest) or NEVER
    there = TaskSpec(
        key,
        task_label("ride", name),
        Place(hub.lon, hub.lat, hub.label, counter, hub.centre_id, hub.village_id),
        "visit",
        ids,
        origin=home,
        service_s=VISIT_SERVICE_S,
        drop_service_s=counter_s,
        seats=1,
        needs_car=True,
        priority=100,
    )
    # No applicant on the drop at home: they are in the car, nobody waits for a text.
    back = TaskSpec(
        f"{key}:home",
        task_label("ride_home", name),
        Place(home.lon, home.lat, home.label, (), village_id=home.village_id),
        "ride",
        origin=Place(hub.lon, hub.lat, hub.label, after, hub.centre_id, hub.village_id),
        seats=1,
        needs_car=True,
        priority=100,
        ride_out=key,
    )
    return [there, back]
