"""Every string the pages' scripts show is in the catalogue, translated to Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from dispatch.web.strings import JS_MESSAGES

WEB = Path(__file__).resolve().parents[2] / "dispatch" / "web"
TRANSLATIONS = WEB.parent / "translations"
SCRIPTS = sorted((WEB / "static" / "js").glob("*.js"))


def script_strings() -> set[str]:
    found: set[str] = set()
    for path in SCRIPTS:
        src = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'\bt\(\s*"((?:[^"\\]|\\.)*)"', src))
        for table in re.findall(r"const (?:ACTIONS|STATUS|VIOLATIONS) = \{([^}]*)\}", src):
            found |= set(re.findall(r':\s*"([^"]+)"', table))
    return found


def test_every_script_string_is_marked():
    """A t("...") without a catalogue entry would show English on the Chinese page."""
    assert script_strings() - set(JS_MESSAGES) == set()


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
