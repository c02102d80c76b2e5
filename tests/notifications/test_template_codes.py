"""The approved SMS template codes are configuration: parsed strictly, defaults documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from notifications.templates import TEMPLATES, parse_template_codes, unconfigured

README = Path(__file__).resolve().parents[2] / "README.md"


def test_entries_by_comma_or_line_override_their_keys_only() -> None:
    """Commas and new lines both separate; blanks are skipped; the rest stay unconfigured."""
    codes = parse_template_codes(" case_refused = SMS_470001234,\n\ncase_withdrawn=SMS_470001235\n")
    assert codes == {"case_refused": "SMS_470001234", "case_withdrawn": "SMS_470001235"}
    left = unconfigured(codes)
    assert "case_refused" not in left and "plan_published" in left
    assert len(left) == len(TEMPLATES) - 2
    assert parse_template_codes("") == {}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("case_refused", "write it as key=SMS_<digits>"),
        ("=SMS_1", "write it as key=SMS_<digits>"),
        ("no_such_kind=SMS_1", "no template 'no_such_kind'"),
        ("case_refused=SMS_1,case_refused=SMS_2", "given twice"),
        ("case_refused=470001234", "is not SMS_<digits>"),
        ("case_refused=SMS_47x", "is not SMS_<digits>"),
    ],
)
def test_a_wrong_entry_is_named(text: str, says: str) -> None:
    """Each kind of mistake is a ValueError naming the entry and what is wrong with it."""
    with pytest.raises(ValueError, match=re.escape(says)) as err:
        parse_template_codes(text)
    assert "SMS template code entry" in str(err.value)


def test_the_readme_lists_every_template_with_its_default() -> None:
    """The documented defaults are the shipped ones, one row a template."""
    text = README.read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| \w+ \| `(SMS_\d+)` \|", text, re.M))
    assert rows == {t.key: t.sms_code for t in TEMPLATES.values()}
