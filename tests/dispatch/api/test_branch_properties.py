"""Random walks through the branches (补正, refusal, 中止/续办, withdrawal) and bare cancels:
after every step the holder fits the status (a cancelled case is at home), the custody chain
is unbroken, the legs the status implies are the ones the planner derives, and the promised
date counts only the days that count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from dispatch.errors import DomainError
from dispatch.extensions import db
from dispatch.models.cases import Case, HolderKind, Status
from dispatch.models.centres import ServiceCentre
from dispatch.planning.tasks import derive_tasks, load_context
from dispatch.services import branches, cases, entrustments
from dispatch.services.case_flow import CLOCK_STOPPED
from dispatch.services.cases import CENTRE_HOLDS, promised_date
from dispatch.setup.demo import DEMO_TOWNSHIP
from dispatch.workdays import cst_date, is_working_day, working_days_between

from .conftest import SIGNATURE, World

ITEM = "DEMO-SB-001"  # decided at the township centre
START = datetime(2031, 3, 3, 2, 0, tzinfo=UTC)  # a Monday, 10:00 CST
PLAN_DAY = date(2031, 3, 4)
STEPS = ("advance", "decide", "supplement", "receive", "refuse", "suspend", "resume",
         "withdraw", "cancel", "next_day")  # fmt: skip
UP = ["advance"] * 3  # registered -> materials checked -> agent -> township centre
DOWN_AND_BACK = ["advance", "advance", "receive", "advance", "advance"]
SUPPLEMENT_TWICE_THEN_REFUSAL = [
    *UP,
    "supplement",
    "next_day",
    *DOWN_AND_BACK,
    "supplement",
    "next_day",
    *DOWN_AND_BACK,
    "refuse",
    "advance",
    "advance",
]
SUSPEND_CONTINUE_WITHDRAW = [
    "advance",
    "advance",
    "suspend",
    "next_day",
    "next_day",
    "advance",
    "resume",
    "advance",
    "withdraw",
    "advance",
    "advance",
]
# A bare cancel is refused while an agent or a centre holds the file; the withdrawal brings
# it home, where it ends.
CANCEL_HELD_THEN_WITHDRAW = ["advance", "advance", "cancel", "advance", "cancel", "withdraw",
                             "cancel", "advance", "cancel"]  # fmt: skip
# Mostly moving on, so walks reach the deciding centre and its branches.
walks = st.lists(
    st.one_of(st.just("advance"), st.just("advance"), st.sampled_from(STEPS)),
    min_size=4,
    max_size=30,
)
AT_HOME = {Status.SUPPLEMENTING, Status.DELIVERED, Status.CLOSED, Status.CANCELLED}


def _advance(world: World, case: Case, now: datetime) -> None:
    """The next hand-over (or status move) of the relay, up or down, from where it is."""
    s, kind = Status(case.status), case.holder_kind
    scope, session = world.scope, db.session
    if s == Status.REGISTERED:
        cases.transition(session, scope, case, "materials_checked", now=now)
    elif s == Status.MATERIALS_CHECKED:
        cases.hand_over(session, scope, case, "agent", world.home.agent, at=now)
    elif s == Status.WITH_AGENT:
        cases.hand_over(session, scope, case, "centre", world.home.centre, at=now)
    elif s in (Status.AT_TOWNSHIP, Status.AT_COUNTY):
        return  # being decided: only a decision, a 补正 or a refusal moves it
    elif kind == HolderKind.CENTRE:  # going down: the township centre gives it to the agent
        cases.hand_over(session, scope, case, "agent", world.home.agent, at=now)
    elif kind == HolderKind.AGENT:
        cases.hand_over(session, scope, case, "applicant", case.applicant_id, at=now)


def _step(world: World, case: Case, step: str, now: datetime) -> None:
    session, scope = db.session, world.scope
    material = case.item.materials[0]["name"]
    calls = {
        "advance": lambda: _advance(world, case, now),
        "decide": lambda: cases.transition(session, scope, case, "decided", now=now),
        "supplement": lambda: branches.request_supplement(
            session, scope, case, [material], now=now
        ),
        "receive": lambda: branches.receive_supplement(session, scope, case, [material], now=now),
        "refuse": lambda: branches.refuse(
            session, scope, case, "not_permitted", "不符合条件", "某条例第三条", now=now
        ),
        "suspend": lambda: branches.suspend(session, scope, case, "外出", now=now),
        "resume": lambda: branches.continue_case(session, scope, case, now=now),
        "withdraw": lambda: branches.withdraw(session, scope, case, "不办了", now=now),
        "cancel": lambda: cases.transition(session, scope, case, "cancelled", now=now),
    }
    try:
        calls[step]()
    except DomainError:  # a step the status does not allow: refused, nothing changed
        session.rollback()


def _holder_fits(case: Case) -> None:
    status = Status(case.status)
    if status in AT_HOME:
        assert case.holder_kind == HolderKind.APPLICANT, status
    if status == Status.WITH_AGENT:
        assert case.holder_kind == HolderKind.AGENT
    if status == Status.AT_TOWNSHIP:
        assert case.holder_kind == HolderKind.CENTRE
    if case.holder_kind == HolderKind.CENTRE:
        centre = db.session.get(ServiceCentre, case.holder_id)
        assert status in CENTRE_HOLDS[centre.kind], (status, centre.kind)


def _chain_unbroken(case: Case) -> None:
    holder = (HolderKind.APPLICANT, case.applicant_id)
    for handed in case.custody:
        assert (handed.from_kind, handed.from_id) == holder, handed.receipt_no
        holder = (handed.to_kind, handed.to_id)
    assert holder == (case.holder_kind, case.holder_id)


def _legs_follow(case: Case) -> None:
    ctx = load_context(db.session, DEMO_TOWNSHIP, PLAN_DAY)
    legs = {t.key.split(":")[0] for t in derive_tasks(db.session, ctx) if case.id in t.case_ids}
    status, kind = Status(case.status), case.holder_kind
    going_down = status in (Status.SUPPLEMENT, Status.REFUSED, Status.WITHDRAWN, Status.DECIDED,
                            Status.RETURNING)  # fmt: skip
    if status == Status.MATERIALS_CHECKED and kind == HolderKind.APPLICANT:
        expected = {"collect"}
    elif status == Status.WITH_AGENT:
        expected = {"drop"}
    elif going_down and kind == HolderKind.CENTRE:
        expected = {"return_home"} if case.applicant.vulnerable else {"return"}
    elif going_down and kind == HolderKind.AGENT:
        expected = {"carry_down"}
    else:  # suspended, supplementing, being decided, home: nothing moves
        expected = set()
    assert legs == expected, (status, kind, legs)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(walks)
@example(SUPPLEMENT_TWICE_THEN_REFUSAL)
@example(SUSPEND_CONTINUE_WITHDRAW)
@example(CANCEL_HELD_THEN_WITHDRAW)
def test_random_branch_walks_keep_the_invariants(app, world, walk):
    """After every step: holder fits status, chain unbroken, legs as implied, clock right."""
    with app.app_context():
        case = cases.register_case(db.session, world.scope, world.home.applicant, ITEM, "agent",
                                   now=START)  # fmt: skip
        _entrust(world, case)
        now, paused_from, paused_total = START, None, 0
        for step in walk:
            if step == "next_day":
                now += timedelta(days=1)
                while not is_working_day(cst_date(now)):
                    now += timedelta(days=1)
                continue
            before = case.status
            _step(world, case, step, now)
            case = db.session.get(Case, case.id)
            event(f"reached {case.status}")
            stopped = Status(case.status) in CLOCK_STOPPED
            if stopped and paused_from is None:
                paused_from = cst_date(now)
            if not stopped and paused_from is not None and before != case.status:
                paused_total += working_days_between(paused_from, cst_date(now))
                paused_from = None
            _holder_fits(case)
            _chain_unbroken(case)
            _legs_follow(case)
            assert (case.paused_since is not None) == stopped
            assert case.paused_days == paused_total
            promise = (case.promised_days or 0) + paused_total
            assert case.due_date == promised_date(case.registered_at, promise)
        db.session.remove()


def _entrust(world: World, case: Case) -> None:
    entrustments.capture(db.session, world.scope, case, agent_id=world.home.agent,
                         materials=["户口簿"], valid_until=date(2099, 1, 1),
                         captured_at="village_room", signature_png=SIGNATURE,
                         now=START)  # fmt: skip
