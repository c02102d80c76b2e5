"""One table of status labels: every status of every model has one, in both languages."""

from __future__ import annotations

import enum
import re
from pathlib import Path

import pytest

from dispatch.models.agents import AppointmentStatus
from dispatch.models.cases import Status
from dispatch.models.outbox import OutboxStatus
from dispatch.models.plans import PlanStatus, StopStatus
from dispatch.models.ratings import RectStatus
from dispatch.models.status_labels import TABLES, labels_in, status_label, status_text

KINDS = {
    "case": Status,
    "booking": AppointmentStatus,
    "stop": StopStatus,
    "plan": PlanStatus,
    "outbox": OutboxStatus,
    "rectification": RectStatus,
}
SCRIPTS = Path(__file__).resolve().parents[2] / "dispatch" / "web" / "static" / "js"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_status_has_one_label(kind):
    """The table names exactly the model's statuses, Chinese with Chinese characters and
    English without, and no two statuses read the same in either language."""
    statuses: type[enum.StrEnum] = KINDS[kind]
    table = TABLES[kind]
    assert set(table) == {str(s) for s in statuses}
    for zh, en in table.values():
        assert CJK.search(zh) and not CJK.search(en) and en[0].isupper(), (zh, en)
    assert len({zh for zh, _ in table.values()}) == len({en for _, en in table.values()})
    assert len({zh for zh, _ in table.values()}) == len(table)


def test_the_three_ways_of_saying_it_agree():
    """The API's pair, the forms' line and a page's language all come from the one entry."""
    assert status_label("case", "with_agent") == {"zh": "在代办员手中", "en": "With the agent"}
    assert status_text("case", "with_agent") == "在代办员手中 With the agent"
    assert labels_in("zh")["stop"]["failed"] == "未完成"
    assert labels_in("en")["stop"]["failed"] == "Not done"
    assert status_label("case", "no_such_status") == {
        "zh": "no_such_status",
        "en": "no_such_status",
    }


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS.glob("*.js")))
def test_no_page_keeps_its_own_copy(script):
    """The pages show statuses with statusLabel(kind, status): no script marks a status code
    or a status table for translation any more."""
    src = (SCRIPTS / script).read_text(encoding="utf-8")
    marked = set(re.findall(r'\b(?:t|N_)\(\s*"([a-z_]+)"\s*\)', src))
    codes = {s for table in TABLES.values() for s in table}
    assert marked & codes == set(), script
    assert not re.search(r"const (STATUS|STEPS) = \{", src), script
