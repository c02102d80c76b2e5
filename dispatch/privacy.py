"""Minimum necessary: the one rule of who sees which personal field whole, masked or not at all.

Every answer that shows a personal field goes through :func:`show`, which applies ``RULES``.
A value shown whole is noted as a disclosure of the request in progress; the API records the
request's disclosures (dispatch.services.access_records) before the answer leaves, so each
whole read has its access record (GB/T 35273-2020 11.3, 处理活动记录).
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


_reads: ContextVar[dict[tuple[str, int], Disclosure] | None] = ContextVar(
    "daiban_disclosures", default=None
)


def start_reads() -> None:
    """Begin noting whole reads (one request); outside a request nothing is noted."""
    _reads.set({})


def stop_reads() -> None:
    _reads.set(None)


def take_reads() -> list[Disclosure]:
    """The disclosures noted since the start, cleared."""
    noted = _reads.get()
    if not noted:
        return []
    taken = list(noted.values())
    noted.clear()
    return taken


def show(role: str, what: Field, value: Any, subject: Subject) -> Any:
    """The value as ``role`` may see it; a whole value is noted as disclosed."""
    if value is None or value == "":
        return value
    rule = display(role, what)
    if rule is Display.HIDDEN:
        return None
    if rule is Display.MASKED:
        return _MASKS[what](value)
    noted = _reads.get()
    if noted is not None:
        key = (subject.kind, subject.id)
        noted.setdefault(key, Disclosure(subject)).fields.add(what.value.split(".", 1)[1])
    return value
