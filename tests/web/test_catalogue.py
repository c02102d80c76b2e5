"""Every string the pages' scripts show is in the catalogue, translated to Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from dispatch.web import script_messages

WEB = Path(__file__).resolve().parents[2] / "dispatch" / "web"
TRANSLATIONS = WEB.parent / "translations"
SCRIPTS = sorted((WEB / "static" / "js").glob("*.js"))


def script_strings() -> set[str]:
    """Every t("...") and N_("...") literal of the scripts, found with a plain regex."""
    found: set[str] = set()
    for path in SCRIPTS:
        src = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'\b(?:t|N_)\(\s*"((?:[^"\\]|\\.)*)"', src))
    return found


def test_every_script_string_is_extracted():
    """pybabel's JavaScript extractor finds what the scripts mark, and the catalogue has it."""
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        template = {m.id for m in read_po(f) if m.id}
    assert script_strings() - set(script_messages()) == set()
    assert set(script_messages()) - template == set(), "run make translations"


def test_looked_up_words_are_marked():
    """A table of words shown with t(TABLE[key]) marks each word, or pybabel would miss it."""
    for path in SCRIPTS:
        src = path.read_text(encoding="utf-8")
        for table in re.findall(r"const [A-Z_]+ = \{([^}]*)\}", src):
            assert not re.findall(r':\s*"([^"]+)"', table), (path.name, table)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_catalogue_is_complete(lang):
    """Every message of the template has a translation in both languages."""
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        template = read_po(f)
    ids = {m.id for m in template if m.id}
    assert ids <= {m.id for m in catalog if m.string}


def test_pages_switch_language(client_web):
    """Chinese by default; ?lang=en switches and the cookie keeps it."""
    zh = client_web.get("/book").get_data(as_text=True)
    assert "预约代办" in zh
    en = client_web.get("/book?lang=en")
    assert "Book a service" in en.get_data(as_text=True)
    assert "daiban_lang=en" in en.headers["Set-Cookie"]
    assert "Dispatcher console" in client_web.get("/console").get_data(as_text=True)


@pytest.fixture()
def client_web(web_app):
    return web_app.test_client()
