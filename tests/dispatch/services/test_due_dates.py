"""Loading a holiday notice and recounting moves the promised dates counted Mon–Fri."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pytest
from flask import Flask
from sqlalchemy import select

from dispatch.cli import cli
from dispatch.extensions import db
from dispatch.models.applicants import Applicant
from dispatch.models.cases import Case, Status, StatusChange
from dispatch.models.catalog import ServiceItem
from dispatch.models.outbox import OutboxMessage
from dispatch.models.users import Role, Scope, User
from dispatch.services import cases
from dispatch.services.due_dates import recount_due_dates
from dispatch.workdays import OfficialYear

# A made-up notice for 2031, a year no package covers: Wednesday 8 January off, Saturday
# 8 March a make-up working day. Not the content of any real notice.
NOTICE = {
    2031: OfficialYear(
        holidays=frozenset({date(2031, 1, 8)}), workdays=frozenset({date(2031, 3, 8)})
    )
}
PROMISED_DAYS = 5
# Accepted on -> (due counted Mon–Fri, due on the notice). Day counts in the comments.
MOVED_LATER = date(2031, 1, 6), date(2031, 1, 13), date(2031, 1, 14)  # 7 9 10 13 14
MOVED_EARLIER = date(2031, 3, 5), date(2031, 3, 12), date(2031, 3, 11)  # 6 7 8 10 11
UNCHANGED = date(2031, 4, 7), date(2031, 4, 14), date(2031, 4, 14)


@dataclass
class Made:
    """The cases a test registered, by name, and their ids."""

    ids: dict[str, int]

    def due(self, name: str) -> date:
        return db.session.get_one(Case, self.ids[name]).due_date

    def messages(self) -> list[OutboxMessage]:
        rows = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "due_date_moved")
            .order_by(OutboxMessage.created_at)
        )
        mine = set(self.ids.values())
        return [m for m in rows if m.data.get("case_id") in mine]


@pytest.fixture()
def register(app: Flask, supplement: Callable[..., None]) -> Iterator[Callable[..., Made]]:
    """Register cases of a 5-day item on 2031 days before any notice (so counted Mon–Fri);
    delete them, their messages and the item afterwards."""
    made = Made({})
    with app.app_context():
        session = db.session
        item = ServiceItem(
            code="TEST-RECOUNT-5",
            name="测试事项",
            name_en="Test item",
            level="township",
            promised_days=PROMISED_DAYS,
        )
        session.add(item)
        session.commit()
        item_id, item_code = item.id, item.code
        admin = session.scalar(select(User.id).where(User.username == "admin"))
        applicant = session.scalar(select(Applicant.id).order_by(Applicant.id).limit(1))
        assert admin is not None and applicant is not None
        scope = Scope(admin, "admin", Role.ADMIN, "")

        def make(**accepted: date) -> Made:
            for name, day in accepted.items():
                now = datetime.combine(day, time(2, 0), tzinfo=UTC)  # 10:00 in Jieyang
                case = cases.register_case(session, scope, applicant, item_code, "agent", now=now)
                made.ids[name] = case.id
            return made

        try:
            yield make
        finally:
            session.rollback()
            for message in made.messages():
                session.delete(message)
            for case_id in made.ids.values():
                session.delete(session.get_one(Case, case_id))
            session.delete(session.get_one(ServiceItem, item_id))
            session.commit()
            db.session.remove()


def _three(register: Callable[..., Made]) -> Made:
    return register(later=MOVED_LATER[0], earlier=MOVED_EARLIER[0], same=UNCHANGED[0])


def test_registration_before_the_notice_counts_mon_to_fri(register, supplement):
    """The set-up itself: without a notice for 2031 the dates are the Mon–Fri count."""
    made = _three(register)
    assert made.due("later") == MOVED_LATER[1]
    assert made.due("earlier") == MOVED_EARLIER[1]
    assert made.due("same") == UNCHANGED[1]


def test_the_recount_moves_the_dates_the_notice_changes(register, supplement):
    """A holiday pushes one date a day later, a make-up Saturday pulls one a day earlier."""
    made = _three(register)
    supplement(NOTICE)
    changes = recount_due_dates(db.session, only=made.ids.values())
    assert {(c.case_id, c.old, c.new) for c in changes} == {
        (made.ids["later"], MOVED_LATER[1], MOVED_LATER[2]),
        (made.ids["earlier"], MOVED_EARLIER[1], MOVED_EARLIER[2]),
    }
    db.session.expire_all()
    assert made.due("later") == MOVED_LATER[2]
    assert made.due("earlier") == MOVED_EARLIER[2]
    assert made.due("same") == UNCHANGED[2]


def test_a_moved_case_is_recorded_and_the_villager_told(register, supplement):
    """History entry, version bump, one SMS with both dates; nothing for an unmoved case."""
    made = _three(register)
    versions = {n: db.session.get_one(Case, i).version for n, i in made.ids.items()}
    supplement(NOTICE)
    recount_due_dates(db.session, only=made.ids.values())
    db.session.expire_all()
    later = db.session.get_one(Case, made.ids["later"])
    assert later.version == versions["later"] + 1
    entry = later.history[-1]
    assert entry.from_status == entry.to_status == Status.REGISTERED
    assert entry.note == (
        "节假日安排更新，承诺办结日由 2031-01-13 改为 2031-01-14 / "
        "Holiday notice loaded: promised date moved from 2031-01-13 to 2031-01-14"
    )
    same = db.session.get_one(Case, made.ids["same"])
    assert same.version == versions["same"] and len(same.history) == 1
    sms = {m.data["case_id"]: m for m in made.messages()}
    assert set(sms) == {made.ids["later"], made.ids["earlier"]}
    message = sms[made.ids["later"]]
    assert (message.channel, message.recipient_kind) == ("sms", "villager")
    assert message.phone == later.applicant.phone
    assert message.variables["old_date"] == "2031-01-13"
    assert message.variables["new_date"] == "2031-01-14"
    assert message.variables["reference"] == later.reference


def test_the_message_renders_in_both_languages(register, supplement):
    """The enqueued variables fill the new template, Chinese first, nothing left over."""
    from notifications.templates import render

    made = register(later=MOVED_LATER[0])
    supplement(NOTICE)
    recount_due_dates(db.session, only=made.ids.values())
    (message,) = made.messages()
    rendered = render(message.kind, message.variables)
    assert "承诺办结日由2031-01-13改为2031-01-14" in rendered.body_zh
    assert "moved from 2031-01-13 to 2031-01-14" in rendered.body_en
    assert "$" not in rendered.text


def test_a_date_still_reaching_a_year_without_a_notice_stays_marked(register, supplement):
    """Accepted in late 2031, due in 2032 which has no notice: the new date says estimated."""
    # Mon: 30 (off) 31, then 2 5 6 7 of 2032 (New Year's Day is off even in the estimate)
    made = register(late=date(2031, 12, 29))
    supplement({2031: OfficialYear(holidays=frozenset({date(2031, 12, 30)}), workdays=frozenset())})
    (change,) = recount_due_dates(db.session, only=made.ids.values())
    assert (change.old, change.new) == (date(2032, 1, 6), date(2032, 1, 7))
    (message,) = made.messages()
    assert message.variables["new_date"] == "2032-01-07（预计 / estimated）"


@pytest.mark.parametrize(
    "status",
    [Status.DECIDED, Status.RETURNING, Status.DELIVERED, Status.CLOSED, Status.CANCELLED],
)
def test_finished_cases_keep_their_date(register, supplement, status):
    """Cases already decided (办结), and closed or cancelled ones, are not recounted and get
    no SMS."""
    made = register(done=MOVED_LATER[0])
    db.session.get_one(Case, made.ids["done"]).status = status
    db.session.commit()
    supplement(NOTICE)
    changes = recount_due_dates(db.session, only=made.ids.values())
    assert made.ids["done"] not in {c.case_id for c in changes}
    db.session.expire_all()
    assert made.due("done") == MOVED_LATER[1]
    assert made.messages() == []


def test_a_dry_run_writes_nothing(register, supplement):
    """The dry run lists the same changes but leaves dates, history and outbox alone."""
    made = _three(register)
    supplement(NOTICE)
    dry = recount_due_dates(db.session, dry_run=True, only=made.ids.values())
    db.session.rollback()
    assert {c.case_id for c in dry} == {made.ids["later"], made.ids["earlier"]}
    assert made.due("later") == MOVED_LATER[1]
    assert made.messages() == []
    notes = db.session.scalars(
        select(StatusChange.note).where(StatusChange.case_id.in_(made.ids.values()))
    )
    assert not any("节假日" in note for note in notes)
    assert recount_due_dates(db.session, only=made.ids.values()) == dry


def test_a_second_run_changes_nothing(register, supplement):
    """Once recounted, the dates agree with the calendar: no change and no second SMS."""
    made = _three(register)
    supplement(NOTICE)
    first = recount_due_dates(db.session, only=made.ids.values())
    assert {c.case_id for c in first} == {made.ids["later"], made.ids["earlier"]}
    assert recount_due_dates(db.session, only=made.ids.values()) == []
    assert len(made.messages()) == 2


def test_the_command_prints_each_change_and_the_count(app, register, supplement):
    """`daiban recount-due-dates`: --dry-run lists and writes nothing; the run lists and counts."""
    made = _three(register)
    supplement(NOTICE)
    later = db.session.get_one(Case, made.ids["later"]).reference
    ours = [
        arg
        for cid in made.ids.values()
        for arg in ("--reference", db.session.get_one(Case, cid).reference)
    ]
    db.session.remove()
    runner = app.test_cli_runner()
    # The whole database, dry: other modules' cases may move too, nothing is written.
    dry = runner.invoke(cli, args=["recount-due-dates", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"{later}: 2031-01-13 → 2031-01-14" in dry.output
    assert "would change" in dry.output and "nothing written" in dry.output
    assert made.due("later") == MOVED_LATER[1]
    # Applied to this test's cases only, so no other module's case changes under it.
    dry = runner.invoke(cli, args=["recount-due-dates", "--dry-run", *ours])
    assert "would change 2 of 3 open cases" in dry.output, dry.output
    unknown = runner.invoke(cli, args=["recount-due-dates", "--reference", "NO-SUCH-CASE"])
    assert unknown.exit_code != 0 and "NO-SUCH-CASE" in unknown.output
    real = runner.invoke(cli, args=["recount-due-dates", *ours])
    assert real.exit_code == 0, real.output
    assert f"{later}: 2031-01-13 → 2031-01-14" in real.output
    assert "已改 2 件" in real.output and "changed 2 of" in real.output
    db.session.expire_all()
    assert made.due("later") == MOVED_LATER[2]


def test_an_item_edited_after_acceptance_does_not_move_the_promise(register, supplement):
    """The recount counts the working days promised when the case was accepted: an item
    whose promise was edited since does not move its older cases, with or without a notice."""
    made = register(same=UNCHANGED[0])
    item = db.session.get_one(Case, made.ids["same"]).item
    item.promised_days = PROMISED_DAYS + 3
    db.session.commit()
    assert db.session.get_one(Case, made.ids["same"]).promised_days == PROMISED_DAYS
    assert recount_due_dates(db.session, only=made.ids.values()) == []
    supplement(NOTICE)
    assert recount_due_dates(db.session, only=made.ids.values()) == []
    assert made.due("same") == UNCHANGED[2]
