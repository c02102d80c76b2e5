"""Every endpoint against every role, in one table; a new endpoint without a row fails."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.regions import Region
from dispatch.security import PUBLIC_PATHS, PUBLIC_PREFIXES

from .conftest import SIGNATURE, World, applicant_body, future_window

ROLES = ("admin", "supervisor", "county", "dispatcher", "agent", "staff", "anon")
PASSWORDS = {
    "admin": "admin-demo-2026",
    "supervisor": "super-demo-2026",
    "county": "county-demo-2026",
    "dispatcher": "dispatch-demo-2026",
    "agent": "agent-demo-2026",
    "staff": "staff-demo-2026",
}
# Nothing is exempt but the public paths: every endpoint below has its rows in TABLE.
PENDING: set[tuple[str, str]] = set()
_days = itertools.count(1)
_names = itertools.count(1)

Value = Any | Callable[[World], Any]


def codes(default: int, **by_role: int) -> dict[str, int]:
    """Expected status per role: ``default`` unless named; no token is always 401."""
    return {role: by_role.get(role, default) for role in ROLES[:-1]} | {"anon": 401}


READ_ALL = codes(200)
ADMIN_ONLY = codes(403, admin=200)
# Objects in 揭西县 (another county): only the admin and the city supervisor see them.
AWAY = codes(404, admin=200, supervisor=200)
# Writers of their own region's data; supervisors are read-only.
WRITE = codes(403, admin=200, dispatcher=200, agent=200, staff=200)
DISPATCH = codes(403, admin=200, dispatcher=200)
AUDITORS = codes(403, admin=200, supervisor=200, county=200)


# Planning and notifications: a dispatcher plans (an admin may too); supervisors read.
PLANNERS_ONLY = codes(403, admin=422, dispatcher=422)
AWAY_PLAN = codes(404, admin=200, supervisor=200)
AWAY_PLAN_WRITE = codes(403, admin=422, dispatcher=404)
BOOKERS = codes(403, admin=422, dispatcher=422, agent=422, staff=422)
FAR_DAY = date(2031, 2, 3)  # a Monday no other test plans
_planned: dict[str, int] = {}
_tokens = itertools.count(1)


def _away_plan(w: World) -> int:
    """A published plan of the other county's township, made once for the matrix."""
    if "plan" not in _planned:
        from dispatch.models.plans import Job
        from dispatch.planning.service import plan_township, publish

        with w.app.app_context():
            plan = plan_township(db.session, "445222102000", FAR_DAY, time_limit=0.3)
            publish(db.session, plan)
            _planned["plan"] = plan.id
            _planned["stop"] = next(s.id for r in plan.routes for s in r.stops if s.task_key)
            _planned["route_agent"] = next(r.agent_id for r in plan.routes if r.stops)
            job = Job(
                id=f"matrix-{plan.id:08d}-job",
                kind="plan",
                region_prefix="445203103",
                params={},
                status="done",
                done=1,
                total=1,
            )
            db.session.add(job)
            db.session.commit()
            _planned["job"] = job.id  # type: ignore[assignment]
            db.session.remove()
    return _planned["plan"]


def _plan_path(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/api/plans/{_away_plan(w)}{suffix}"


def created(expect: dict[str, int]) -> dict[str, int]:
    return {r: 201 if s == 200 else s for r, s in expect.items()}


def emptied(expect: dict[str, int]) -> dict[str, int]:
    return {r: 204 if s == 200 else s for r, s in expect.items()}


@dataclass(frozen=True)
class Row:
    method: str
    rule: str
    path: Value
    expect: dict[str, int]
    body: Value = None
    fresh_login: bool = False

    @property
    def id(self) -> str:
        label = self.path if isinstance(self.path, str) else self.rule
        return f"{self.method} {label}"


def _day(w: World) -> str:
    return (date(2031, 1, 1) + timedelta(days=next(_days))).isoformat()


def _closed(w: World) -> str:
    return w.closed_day(date.fromisoformat(_day(w)))


def _appointment_body(w: World) -> dict[str, Any]:
    start, end = future_window()
    return {"applicant_id": w.home.applicant, "window_start": start, "window_end": end}


C = "/api/cases/<int:case_id>"
FORMS = C + "/forms/<any(receipt,notice,handover,decision,entrustment):kind>.pdf"
CT = "/api/centres/<int:centre_id>"
AP = "/api/applicants/<int:applicant_id>"
AG = "/api/agents/<int:agent_id>"
VH = "/api/vehicles/<int:vehicle_id>"
AM = "/api/appointments/<int:appointment_id>"
RG = "/api/regions/<string:code>"
P = "/api/plans/<int:plan_id>"

TABLE = [
    Row("POST", "/api/auth/logout", "/api/auth/logout", codes(204), fresh_login=True),
    Row("GET", "/api/auth/me", "/api/auth/me", READ_ALL),
    Row("GET", "/api/regions/", "/api/regions/", READ_ALL),
    Row("GET", RG, lambda w: f"/api/regions/{w.home.village}", READ_ALL),
    Row("GET", RG, "/api/regions/445222102000", codes(403, admin=200, supervisor=200)),
    Row(
        "PUT",
        RG + "/point",
        lambda w: f"/api/regions/{w.home.village}/point",
        WRITE,
        {"lon": 116.35, "lat": 23.55},
    ),
    Row(
        "PUT",
        RG + "/point",
        "/api/regions/445222102001/point",
        codes(403, admin=200, supervisor=403),
        {"lon": 115.9, "lat": 23.4},
    ),
    # Cases: an agent sees only the cases they hold or are assigned.
    Row("GET", "/api/cases/", "/api/cases/", READ_ALL),
    Row(
        "POST",
        "/api/cases/",
        "/api/cases/",
        created(WRITE),
        lambda w: {
            "applicant_id": w.home.applicant,
            "item_code": "DEMO-GA-001",
            "channel": "agent",
        },
    ),
    Row(
        "POST",
        "/api/cases/",
        "/api/cases/",
        codes(403, admin=201, dispatcher=422, agent=422, staff=422),
        lambda w: {
            "applicant_id": w.away.applicant,
            "item_code": "DEMO-GA-001",
            "channel": "agent",
        },
    ),
    Row("GET", C, lambda w: f"/api/cases/{w.home.case}", codes(200, agent=404)),
    Row("GET", C, lambda w: f"/api/cases/{w.away.case}", AWAY),
    Row(
        "POST",
        C + "/transitions",
        lambda w: f"/api/cases/{w.case(w.home)}/transitions",
        codes(403, admin=200, dispatcher=200, agent=404, staff=200),
        {"to": "materials_checked"},
    ),
    Row(
        "POST",
        C + "/transitions",
        lambda w: f"/api/cases/{w.away.case}/transitions",
        codes(404, admin=409, supervisor=403, county=403),
        {"to": "delivered"},
    ),
    Row(
        "GET", C + "/custody", lambda w: f"/api/cases/{w.home.case}/custody", codes(200, agent=404)
    ),
    Row("GET", C + "/custody", lambda w: f"/api/cases/{w.away.case}/custody", AWAY),
    # Printed forms: scoped like the case; an agent's route sheet like the agent.
    Row(
        "GET",
        FORMS,
        lambda w: f"/api/cases/{w.home.case}/forms/receipt.pdf",
        codes(200, agent=404),
    ),
    Row(
        "GET",
        FORMS,
        lambda w: f"/api/cases/{w.away.case}/forms/receipt.pdf",
        AWAY,
    ),
    Row(
        "POST",
        C + "/custody",
        lambda w: f"/api/cases/{w.case(w.home)}/custody",
        codes(403, admin=201, dispatcher=201, agent=404, staff=201),
        lambda w: {"to_kind": "agent", "to_id": w.home.agent},
    ),
    # The entrustment and the branches of a case (each move on a fresh case).
    Row(
        "GET",
        C + "/entrustment",
        lambda w: f"/api/cases/{w.home.case}/entrustment",
        codes(200, agent=404),
    ),  # fmt: skip
    Row("GET", C + "/entrustment", lambda w: f"/api/cases/{w.away.case}/entrustment", AWAY),
    Row(
        "POST",
        C + "/entrustment",
        lambda w: f"/api/cases/{w.case(w.home, entrusted=False)}/entrustment",
        created(WRITE) | {"agent": 404},
        lambda w: {
            "agent_id": w.home.agent,
            "materials": ["户口簿"],
            "valid_until": "2099-12-31",
            "captured_at": "village_room",
            "signature_png": SIGNATURE,
        },
    ),
    Row(
        "POST",
        C + "/entrustment/revocation",
        lambda w: f"/api/cases/{w.case(w.home)}/entrustment/revocation",
        codes(403, admin=200, dispatcher=200, staff=200),
        {"reason": "村民改为自行办理"},
    ),
    Row(
        "POST",
        C + "/on-site-completion",
        lambda w: f"/api/cases/{w.case(w.home)}/on-site-completion",
        codes(403, admin=422, dispatcher=422, staff=422),
        {},
    ),
    Row(
        "POST",
        C + "/supplement-request",
        lambda w: f"/api/cases/{w.case(w.home)}/supplement-request",
        codes(403, admin=409, dispatcher=409),
        {"missing": ["户口簿"]},
    ),
    Row(
        "POST",
        C + "/supplement-received",
        lambda w: f"/api/cases/{w.case(w.home)}/supplement-received",
        codes(403, admin=409, dispatcher=409, staff=409, agent=404),
        {"items": ["户口簿"]},
    ),
    Row(
        "POST",
        C + "/refusal",
        lambda w: f"/api/cases/{w.case(w.home)}/refusal",
        codes(403, admin=409, dispatcher=409),
        {"kind": "not_accepted", "reason": "材料不齐", "legal_basis": "《行政许可法》第三十二条"},
    ),
    Row(
        "POST",
        C + "/suspension",
        lambda w: f"/api/cases/{w.case(w.home)}/suspension",
        codes(403, admin=200, dispatcher=200, staff=200, agent=404),
        {"reason": "申请人外出"},
    ),
    Row(
        "POST",
        C + "/continuation",
        lambda w: f"/api/cases/{w.case(w.home)}/continuation",
        codes(403, admin=409, dispatcher=409, staff=409, agent=404),
        {},
    ),
    Row(
        "POST",
        C + "/withdrawal",
        lambda w: f"/api/cases/{w.case(w.home)}/withdrawal",
        codes(403, admin=200, dispatcher=200, staff=200, agent=404),
        {"reason": "申请人撤回"},
    ),
    Row(
        "POST",
        C + "/withdrawal",
        lambda w: f"/api/cases/{w.case(w.away)}/withdrawal",
        codes(404, admin=200, supervisor=403, county=403),
        {"reason": "申请人撤回"},
    ),
    # Centres: the ones above the caller's region are readable, never writable.
    Row("GET", "/api/centres/", "/api/centres/", READ_ALL),
    Row(
        "POST",
        "/api/centres/",
        "/api/centres/",
        created(DISPATCH),
        lambda w: {
            "region": w.home.village,
            "kind": "village",
            "name": "测试便民服务室",
            "lon": 116.3,
            "lat": 23.5,
        },
    ),
    Row("GET", CT, lambda w: f"/api/centres/{w.home.centre}", READ_ALL),
    Row("GET", CT, lambda w: f"/api/centres/{w.away.centre}", AWAY),
    Row(
        "PATCH", CT, lambda w: f"/api/centres/{w.home.centre}", DISPATCH, {"address": "镇政府大院"}
    ),
    Row(
        "PATCH",
        CT,
        lambda w: f"/api/centres/{w.away.centre}",
        codes(403, admin=200, dispatcher=404),
        {"address": "镇政府大院"},
    ),
    Row(
        "GET", CT + "/closed-days", lambda w: f"/api/centres/{w.home.centre}/closed-days", READ_ALL
    ),
    Row(
        "POST",
        CT + "/closed-days",
        lambda w: f"/api/centres/{w.home.centre}/closed-days",
        created(DISPATCH),
        lambda w: {"day": _day(w), "reason": "台风停班"},
    ),
    Row(
        "DELETE",
        CT + "/closed-days",
        lambda w: f"/api/centres/{w.home.centre}/closed-days?day={_closed(w)}",
        emptied(DISPATCH),
    ),
    Row(
        "GET",
        CT + "/open-spans",
        lambda w: f"/api/centres/{w.home.centre}/open-spans?date=2026-11-25",
        READ_ALL,
    ),
    Row(
        "GET",
        CT + "/open-spans",
        lambda w: f"/api/centres/{w.away.centre}/open-spans?date=2026-11-25",
        AWAY,
    ),
    # The catalogue is for everyone to read and the admin to keep.
    Row("GET", "/api/items/", "/api/items/", READ_ALL),
    Row(
        "POST",
        "/api/items/",
        "/api/items/",
        created(ADMIN_ONLY),
        lambda w: {
            "code": f"TEST-{next(_names)}",
            "name": "测试事项",
            "level": "township",
            "promised_days": 3,
            "materials": [{"name": "户口簿", "copies": 1, "original": True}],
        },
    ),
    Row("GET", "/api/items/<string:code>", "/api/items/DEMO-GA-001", READ_ALL),
    Row(
        "PATCH",
        "/api/items/<string:code>",
        "/api/items/DEMO-GA-002",
        ADMIN_ONLY,
        {"promised_days": 10},
    ),
    # Applicants: an agent sees their zone's; the other county's are invisible.
    Row("GET", "/api/applicants/", "/api/applicants/", READ_ALL),
    Row(
        "POST",
        "/api/applicants/",
        "/api/applicants/",
        created(WRITE),
        lambda w: applicant_body(w.home.village),
    ),
    Row(
        "POST",
        "/api/applicants/",
        "/api/applicants/",
        codes(403, admin=201, dispatcher=422, agent=422, staff=422),
        lambda w: applicant_body(w.away.village),
    ),
    Row("GET", AP, lambda w: f"/api/applicants/{w.home.applicant}", READ_ALL),
    Row("GET", AP, lambda w: f"/api/applicants/{w.away.applicant}", AWAY),
    Row(
        "PATCH",
        AP,
        lambda w: f"/api/applicants/{w.home.applicant}",
        WRITE,
        {"address": "村东头12号"},
    ),
    Row(
        "PATCH",
        AP,
        lambda w: f"/api/applicants/{w.away.applicant}",
        codes(404, admin=200, supervisor=403, county=403),
        {"address": "村东头12号"},
    ),
    # Agents see only themselves; village staff see the agents serving their village. New agents
    # and vehicles are inactive so the planning tests that share this database don't get them.
    Row("GET", "/api/agents/", "/api/agents/", READ_ALL),
    Row(
        "POST",
        "/api/agents/",
        "/api/agents/",
        created(DISPATCH),
        lambda w: {
            "name": "新代办员",
            "phone": "13900139000",
            "level": "village",
            "region": "445203103000",
            "zone": [w.home.village],
            "shift": {"1": ["08:00", "17:00"]},
            "active": False,
        },
    ),
    Row("GET", AG, lambda w: f"/api/agents/{w.home.agent}", READ_ALL),
    Row("GET", AG, lambda w: f"/api/agents/{w.home.other_agent}", codes(200, agent=404)),
    Row("GET", AG, lambda w: f"/api/agents/{w.away.agent}", AWAY),
    # The route sheet of the other county's published route: only the city level prints it.
    Row(
        "GET",
        AG + "/route-sheet.pdf",
        lambda w: (
            _away_plan(w),
            f"/api/agents/{_planned['route_agent']}/route-sheet.pdf?day={FAR_DAY.isoformat()}",
        )[1],
        AWAY,
    ),
    Row("PATCH", AG, lambda w: f"/api/agents/{w.home.agent}", DISPATCH, {"active": True}),
    Row("GET", "/api/vehicles/", "/api/vehicles/", READ_ALL),
    Row(
        "POST",
        "/api/vehicles/",
        "/api/vehicles/",
        created(DISPATCH),
        lambda w: {
            "kind": "motorbike",
            "home_centre_id": w.home.centre,
            "bag_capacity": 10,
            "active": False,
        },
    ),
    Row("GET", VH, lambda w: f"/api/vehicles/{w.home.vehicle}", codes(200, staff=404)),
    Row("GET", VH, lambda w: f"/api/vehicles/{w.away.vehicle}", AWAY),
    Row("PATCH", VH, lambda w: f"/api/vehicles/{w.home.vehicle}", DISPATCH, {"seats": 0}),
    # Home visits follow the applicant's visibility.
    Row("GET", "/api/appointments/", "/api/appointments/", READ_ALL),
    # One write path for visits: POST /api/bookings/ (slot lock, SMS, re-plan).
    Row("POST", "/api/appointments/", "/api/appointments/", codes(410), _appointment_body),
    Row("GET", AM, lambda w: f"/api/appointments/{w.home.appointment}", READ_ALL),
    Row("GET", AM, lambda w: f"/api/appointments/{w.away.appointment}", AWAY),
    Row(
        "PATCH",
        AM,
        lambda w: f"/api/appointments/{w.appointment(w.home)}",
        WRITE,
        {"status": "done"},
    ),
    Row("GET", "/api/users/", "/api/users/", ADMIN_ONLY),
    Row(
        "POST",
        "/api/users/",
        "/api/users/",
        created(ADMIN_ONLY),
        lambda w: {
            "username": f"matrix{next(_names)}",
            "password": "matrix-pass-1",
            "role": "dispatcher",
            "region": "445203103000",
        },
    ),
    Row("GET", "/api/users/<int:user_id>", lambda w: f"/api/users/{w.admin_id}", ADMIN_ONLY),
    Row(
        "PATCH",
        "/api/users/<int:user_id>",
        lambda w: f"/api/users/{w.user()}",
        ADMIN_ONLY,
        {"phone": "13800138000"},
    ),
    Row(
        "DELETE",
        "/api/users/<int:user_id>",
        lambda w: f"/api/users/{w.user()}",
        emptied(ADMIN_ONLY),
    ),
    # Plans: read in scope; planning actions for dispatchers (bodies that fail validation,
    # so the matrix checks who may ask without re-planning anything).
    Row("GET", "/api/plans/", "/api/plans/", READ_ALL),
    Row(
        "POST",
        "/api/plans/",
        "/api/plans/",
        PLANNERS_ONLY,
        {"township": "445203103000", "day": "2020-01-06"},
    ),
    Row("GET", "/api/plans/today", "/api/plans/today?day=2031-01-02", codes(403, agent=404)),
    Row(
        "GET",
        "/api/plans/today",
        "/api/plans/today?day=2031-01-02&upcoming=true",
        codes(403, agent=404),
    ),
    Row("GET", P, _plan_path(), AWAY_PLAN),
    Row(
        "GET",
        P + "/problem",
        _plan_path("/problem"),
        codes(403, admin=200, supervisor=200, county=404, dispatcher=404),
    ),
    Row(
        "GET",
        P + "/solution",
        _plan_path("/solution"),
        codes(403, admin=200, supervisor=200, county=404, dispatcher=404),
    ),
    Row("GET", P + "/diff", _plan_path("/diff"), AWAY_PLAN),
    Row("GET", P + "/overrides", _plan_path("/overrides"), AWAY_PLAN),
    Row("POST", P + "/publish", _plan_path("/publish"), codes(403, admin=409, dispatcher=404)),
    Row(
        "POST",
        P + "/replan",
        _plan_path("/replan"),
        codes(403, admin=201, dispatcher=404),
        {"reason": "matrix"},
    ),
    # A published plan is no draft to rebase: the planner in scope gets the 409.
    Row("POST", P + "/rebase", _plan_path("/rebase"), codes(403, admin=409, dispatcher=404)),
    Row("POST", P + "/absences", _plan_path("/absences"), AWAY_PLAN_WRITE, {"agent_id": 2_000_000}),
    Row("POST", P + "/urgent", _plan_path("/urgent"), AWAY_PLAN_WRITE, {"case_id": 2_000_000}),
    Row(
        "POST",
        P + "/moves",
        _plan_path("/moves"),
        AWAY_PLAN_WRITE,
        {"task_key": "no-such-task", "agent_id": 1, "position": 0},
    ),
    Row(
        "POST",
        P + "/overrides",
        _plan_path("/overrides"),
        AWAY_PLAN_WRITE,
        {"kind": "pin", "agent_id": 2_000_000, "task_key": "x"},
    ),
    # Dispatchers only; the admin passes the role and the plan, then finds no such override.
    Row(
        "DELETE",
        P + "/overrides/<int:override_id>",
        _plan_path("/overrides/2000000"),
        codes(403, admin=404, dispatcher=404),
    ),
    Row(
        "PATCH",
        "/api/plans/stops/<int:stop_id>",
        lambda w: (_away_plan(w), f"/api/plans/stops/{_planned['stop']}")[1],
        codes(403, admin=422, dispatcher=404, agent=404),
        {"status": "failed"},
    ),
    Row(
        "GET",
        "/api/plans/unapplied-reports",
        "/api/plans/unapplied-reports?resolved=false",
        codes(200, agent=403, staff=403),
    ),
    Row(
        "POST",
        "/api/plans/unapplied-reports/<int:report_id>/resolve",
        "/api/plans/unapplied-reports/2000000/resolve",
        codes(403, admin=404, dispatcher=404),
        {"note": "checked with the agent by phone"},
    ),
    Row(
        "GET",
        "/api/jobs/<string:job_id>",
        lambda w: (_away_plan(w), f"/api/jobs/{_planned['job']}")[1],
        codes(200, staff=404),
    ),
    # Home-visit booking: bookers in scope; the home applicant is not entitled (422).
    Row(
        "GET",
        "/api/bookings/slots",
        lambda w: f"/api/bookings/slots?applicant_id={w.home.applicant}&date=2031-01-06",
        BOOKERS,
    ),
    Row(
        "POST",
        "/api/bookings/",
        "/api/bookings/",
        BOOKERS,
        lambda w: {"applicant_id": w.home.applicant, "date": "2031-01-06", "slot": "08:30-10:30"},
    ),
    Row(
        "POST",
        "/api/bookings/<int:appointment_id>/cancel",
        "/api/bookings/2000000/cancel",
        codes(404, supervisor=403, county=403),
        {"reason": "x"},
    ),
    # Devices and the outbox.
    Row(
        "POST",
        "/api/devices/",
        "/api/devices/",
        codes(403, agent=201),
        lambda w: {"token": f"matrix-token-{next(_tokens):06d}", "platform": "android"},
    ),
    Row(
        "POST",
        "/api/notifications/<string:message_id>/ack",
        "/api/notifications/00000000-0000-4000-8000-000000000000/ack",
        codes(403, admin=404, agent=404),
    ),
    Row(
        "GET",
        "/api/notifications/outbox",
        "/api/notifications/outbox",
        codes(200, agent=403, staff=403),
    ),
    Row(
        "POST",
        "/api/notifications/outbox/<string:message_id>/resend",
        "/api/notifications/outbox/00000000-0000-4000-8000-000000000000/resend",
        codes(403, admin=404, dispatcher=404),
    ),
    # 好差评: ratings, rectification (the township's), appeals (the county decides).
    Row("GET", "/api/ratings/", "/api/ratings/", READ_ALL),
    Row(
        "POST",
        "/api/ratings/",
        "/api/ratings/",
        # The home case is not delivered yet: a recorder in scope meets a 409.
        codes(403, admin=409, dispatcher=409, staff=409),
        lambda w: {"case_id": w.home.case, "level": "satisfied", "source": "callback"},
    ),
    Row(
        "POST",
        "/api/ratings/<int:rating_id>/appeals",
        "/api/ratings/2000000/appeals",
        codes(403, admin=404, dispatcher=404, agent=404),
        {"reason": "x"},
    ),
    Row("GET", "/api/ratings/appeals", "/api/ratings/appeals?pending=true", READ_ALL),
    Row(
        "POST",
        "/api/ratings/appeals/<int:appeal_id>/decision",
        "/api/ratings/appeals/2000000/decision",
        codes(403, admin=404, county=404),
        {"decision": "upheld", "reason": "x"},
    ),
    Row(
        "GET",
        "/api/ratings/rectifications",
        "/api/ratings/rectifications?overdue=true",
        codes(200, agent=403, staff=403),
    ),
    *[
        Row(
            "POST",
            f"/api/ratings/rectifications/<int:rect_id>/{step}",
            f"/api/ratings/rectifications/2000000/{step}",
            codes(403, admin=404, dispatcher=404),
            body,
        )
        for step, body in [
            ("verification", {"finding": "true", "note": "x"}),
            ("measures", {"measures": "x"}),
            ("callback", {"outcome": "satisfied"}),
        ]
    ],
    # KPIs: readers of their own region; an agent only at level=agent.
    Row("GET", "/api/kpis", "/api/kpis?period=2026-11", codes(200, agent=403, staff=403)),
    # The assessment: the city and the counties.
    Row(
        "GET",
        "/api/assessment",
        "/api/assessment?year=2026",
        codes(403, admin=200, supervisor=200, county=200),
    ),
    # The construction register: readers of their region; county staff (and the admin) write.
    Row(
        "GET",
        "/api/register/",
        "/api/register/?township=445203103000",
        codes(200, agent=403, staff=403),
    ),
    Row(
        "GET",
        "/api/register/",
        "/api/register/?township=445222102000",
        codes(404, admin=200, supervisor=200, agent=403, staff=403),
    ),
    Row(
        "GET",
        "/api/register/<string:code>/<string:item>",
        "/api/register/445203103000/service_car",
        codes(200, agent=403, staff=403),
    ),
    Row(
        "GET",
        "/api/register/<string:code>/<string:item>",
        "/api/register/445222102000/service_car",
        codes(404, admin=200, supervisor=200, agent=403, staff=403),
    ),
    Row(
        "PUT",
        "/api/register/<string:code>/<string:item>",
        "/api/register/445203103000/agents",
        codes(403, admin=200, county=200),
        {"completed_on": "2026-05-06", "note": "matrix"},
    ),
    # Records of processing: admins and supervisors, in their region.
    Row("GET", "/api/audit/access", "/api/audit/access", AUDITORS),
    Row("GET", "/api/audit/access/export", "/api/audit/access/export?field=phone", AUDITORS),
    # The person's rights: the admin, on the person's request.
    Row(
        "GET",
        "/api/privacy/applicants/<int:applicant_id>/export",
        lambda w: f"/api/privacy/applicants/{w.home.applicant}/export",
        ADMIN_ONLY,
    ),
    Row(
        "POST",
        "/api/privacy/applicants/<int:applicant_id>/correction",
        lambda w: f"/api/privacy/applicants/{w.home.applicant}/correction",
        ADMIN_ONLY,
        {"address": "村东头12号", "reason": "本人来电更正"},
    ),
    # The home applicant has an open case: the admin is refused with the reason.
    Row(
        "POST",
        "/api/privacy/applicants/<int:applicant_id>/erase",
        lambda w: f"/api/privacy/applicants/{w.home.applicant}/erase",
        codes(403, admin=409),
        {"reason": "本人申请删除"},
    ),
]


def _resolve(value: Value, world: World) -> Any:
    return value(world) if callable(value) else value


def _headers(client, tokens, row: Row, role: str) -> dict[str, str]:
    headers = {"If-Match": "*"} if row.method in ("PATCH", "PUT", "DELETE", "POST") else {}
    if role == "anon":
        return headers
    token = tokens[role]
    if row.fresh_login:
        resp = client.post("/api/auth/login", json={"username": role, "password": PASSWORDS[role]})
        token = resp.get_json()["access_token"]
    return headers | {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module", autouse=True)
def _restore_points(app, world):
    """The PUT .../point rows survey two villages; put their imported points back after."""
    codes = [world.home.village, "445222102001"]
    with app.app_context():
        saved = {
            r.code: (r.lon, r.lat, r.coord_source)
            for r in db.session.scalars(select(Region).where(Region.code.in_(codes)))
        }
        db.session.remove()
    yield
    with app.app_context():
        for region in db.session.scalars(select(Region).where(Region.code.in_(codes))):
            region.lon, region.lat, region.coord_source = saved[region.code]
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize(
    ("row", "role"),
    list(itertools.product(TABLE, ROLES)),
    ids=lambda v: v.id if isinstance(v, Row) else v,
)
def test_role_gets_expected_status(client, tokens, world, row, role):
    """The role gets the status the table says; a denial or a miss carries no data."""
    path = _resolve(row.path, world)
    resp = client.open(
        path,
        method=row.method,
        json=_resolve(row.body, world),
        headers=_headers(client, tokens, row, role),
    )
    assert resp.status_code == row.expect[role], resp.get_data(as_text=True)[:400]
    if resp.status_code in (401, 403, 404):
        assert set(resp.get_json()) <= {"code", "status", "message", "errors"}


def _public(rule: str) -> bool:
    """Answered without a token (login, the spec, the docs, /api/public/...)."""
    return rule in PUBLIC_PATHS or rule.startswith(PUBLIC_PREFIXES)


def test_table_covers_every_endpoint(app):
    """Each (method, rule) under /api has a row for every role, except the public ones."""
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and not _public(rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {(row.method, row.rule) for row in TABLE}
    assert served - PENDING - covered == set(), "add rows to TABLE for these endpoints"
    assert covered - served == set(), "rows for endpoints that do not exist"
    assert all(set(row.expect) == set(ROLES) for row in TABLE)


def test_cross_region_list_holds_no_foreign_rows(client, auth, world):
    """A township dispatcher's lists hold nothing from the other county."""
    for path, key in [
        ("/api/applicants/", "village_code"),
        ("/api/cases/", "village_code"),
        ("/api/centres/", "region_code"),
        ("/api/agents/", "region_code"),
    ]:
        rows = client.get(f"{path}?page_size=100", headers=auth("dispatcher")).get_json()
        assert rows and not [r for r in rows if r[key].startswith("445222")], path
