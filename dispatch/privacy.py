"""Minimum necessary: the one rule of who sees which personal field whole, masked or not at all.

Every answer that shows a personal field goes through :func:`show`, which applies ``RULES``.
A value shown whole is noted as a disclosure of the request in progress; the API records the
request's disclosures (dispatch.services.access_records) before the answer leaves, so each
whole read has its access record (GB/T 35273-2020 11.3, 处理活动记录). A write records what its
answer shows in its own commit (``note_answer``, with ``applicant_shown`` and the like here);
each field is recorded once a request.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from dispatch.models.users import Role


class Field(enum.StrEnum):
    """A personal field, named by whose it is."""

    ID_NUMBER = "applicant.id_number"
    PHONE = "applicant.phone"
    ADDRESS = "applicant.address"
    HOME_POINT = "applicant.home_point"
    AGENT_PHONE = "agent.phone"
    RECIPIENT_PHONE = "outbox.phone"


class Display(enum.StrEnum):
    WHOLE = "whole"
    MASKED = "masked"
    HIDDEN = "hidden"


W, M, H = Display.WHOLE, Display.MASKED, Display.HIDDEN
COLUMNS = tuple(Field)
# Role x field. Why each one:
# - staff take the application and check the ID card: everything whole;
# - dispatchers call villagers and agents, and place home visits: phones, address and point
#   whole; the ID number they never need, its ends are enough to tell two namesakes apart;
# - agents call the villager and find the door (village addresses are often better than the
#   point): phone, address, point whole; the last four digits of the ID number to check the card;
# - supervisors need counts, not people: phones masked, no address, the home point to 0.01°
#   (about a kilometre: enough for a map of the county's load).
# fmt: off
RULES: dict[Role, dict[Field, Display]] = {
    #                     id  phone addr point agent-phone recipient-phone
    Role.ADMIN:         dict(zip(COLUMNS, (W, W, W, W, W, W), strict=True)),
    Role.VILLAGE_STAFF: dict(zip(COLUMNS, (W, W, W, W, W, M), strict=True)),
    Role.DISPATCHER:    dict(zip(COLUMNS, (M, W, W, W, W, W), strict=True)),
    Role.AGENT:         dict(zip(COLUMNS, (M, W, W, W, W, M), strict=True)),
    Role.SUPERVISOR:    dict(zip(COLUMNS, (M, M, H, M, M, M), strict=True)),
}
# fmt: on


def display(role: str, what: Field) -> Display:
    return RULES[Role(role)][what]


def mask_id_number(value: str) -> str:
    """Keep the region prefix and the last four: 4452**********1234."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """Keep the carrier prefix and the last four: 138****5678."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_coordinate(value: float) -> float:
    """To 0.01°, about a kilometre."""
    return round(float(value), 2)


_MASKS: dict[Field, Callable[[Any], Any]] = {
    Field.ID_NUMBER: mask_id_number,
    Field.PHONE: mask_phone,
    Field.AGENT_PHONE: mask_phone,
    Field.RECIPIENT_PHONE: mask_phone,
    Field.HOME_POINT: mask_coordinate,
}


@dataclass(frozen=True)
class Subject:
    """Whose data: an applicant or an agent, and the code of their region (for scoping)."""

    kind: str
    id: int
    region_code: str


@dataclass
class Disclosure:
    subject: Subject
    fields: set[str] = field(default_factory=set)


@dataclass
class Reading:
    """One request's whole reads: what it is (for the records), what was noted, what is
    already recorded (a write's service records its answer in its own commit)."""

    endpoint: str = ""
    purpose: str = ""
    request_id: str = ""
    noted: dict[tuple[str, int], Disclosure] = field(default_factory=dict)
    recorded: set[tuple[str, int, str]] = field(default_factory=set)


_reads: ContextVar[Reading | None] = ContextVar("daiban_disclosures", default=None)


def start_reads(endpoint: str = "", purpose: str = "", request_id: str = "") -> None:
    """Begin noting whole reads (one request); outside a request nothing is noted."""
    _reads.set(Reading(endpoint, purpose, request_id))


def stop_reads() -> None:
    _reads.set(None)


def reading() -> Reading | None:
    """The request in progress, or None outside one."""
    return _reads.get()


def take_reads() -> list[Disclosure]:
    """The disclosures noted since the start and not recorded yet, marked as recorded."""
    now = _reads.get()
    if now is None:
        return []
    taken = []
    for d in now.noted.values():
        new = {f for f in d.fields if (d.subject.kind, d.subject.id, f) not in now.recorded}
        if new:
            taken.append(Disclosure(d.subject, new))
    mark_recorded(taken)
    now.noted.clear()
    return taken


def mark_recorded(reads: list[Disclosure]) -> None:
    """These fields have their record in this request: they are not recorded twice."""
    now = _reads.get()
    if now is not None:
        now.recorded |= {(d.subject.kind, d.subject.id, f) for d in reads for f in d.fields}


def show(role: str, what: Field, value: Any, subject: Subject) -> Any:
    """The value as ``role`` may see it; a whole value is noted as disclosed."""
    if value is None or value == "":
        return value
    rule = display(role, what)
    if rule is Display.HIDDEN:
        return None
    if rule is Display.MASKED:
        return _MASKS[what](value)
    now = _reads.get()
    if now is not None:
        key = (subject.kind, subject.id)
        now.noted.setdefault(key, Disclosure(subject)).fields.add(what.value.split(".", 1)[1])
    return value


def note_whole(subject: Subject, fields: set[str]) -> None:
    """Note what a printed form shows of a person (their name, their signature): no role sees
    a form but one that may see the case, and paper cannot be masked after it is printed."""
    now = _reads.get()
    if now is not None and fields:
        now.noted.setdefault((subject.kind, subject.id), Disclosure(subject)).fields |= fields


def applicant_subject(applicant: Any) -> Subject:
    return Subject("applicant", applicant.id, applicant.village.code)


def agent_subject(agent: Any) -> Subject:
    return Subject("agent", agent.id, agent.region.code)


SUBJECT_OF_RECIPIENT = {"villager": "applicant", "agent": "agent", "staff": "user"}


def recipient_subject(message: Any) -> Subject:
    kind = SUBJECT_OF_RECIPIENT.get(message.recipient_kind, "agent")
    return Subject(kind, message.recipient_id, message.township_code)


Shown = tuple[Subject, dict[Field, Any]]


def applicant_shown(applicant: Any) -> Shown:
    """What an applicant's answer (the API's ApplicantSchema) shows of them."""
    a = applicant
    values = {Field.ID_NUMBER: a.id_number, Field.PHONE: a.phone, Field.ADDRESS: a.address}
    return applicant_subject(a), values | {Field.HOME_POINT: a.lon}


def agent_shown(agent: Any) -> Shown:
    return agent_subject(agent), {Field.AGENT_PHONE: agent.phone}


def message_shown(message: Any) -> Shown:
    return recipient_subject(message), {Field.RECIPIENT_PHONE: message.phone}
