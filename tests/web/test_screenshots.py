"""Each page at phone and desktop size, in Chinese; written to docs/screenshots on request.

``DAIBAN_SCREENSHOTS=1 pytest tests/web -k screenshots`` refreshes the committed pictures.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.web.conftest import KIOSK, login_page

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"phone": (360, 740), "desktop": (1280, 800)}


@pytest.mark.parametrize("size", SIZES)
def test_screenshots(browser, server, route_plan, plan_day, kiosk, size, tmp_path):
    """The app, the booking page and the console render with their data at both sizes."""
    out = DOCS if os.environ.get("DAIBAN_SCREENSHOTS") else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{server}/app?day={plan_day}")
    login_page(page, "agent", "agent-demo-2026")
    page.wait_for_selector("li.stop")
    page.wait_for_timeout(500)
    page.screenshot(path=str(out / f"app-{size}.png"))
    context.close()

    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{server}/book")
    login_page(page, *KIOSK)
    page.locator("button.service").first.click()
    page.wait_for_selector("#notice-ok")
    page.screenshot(path=str(out / f"book-{size}.png"))
    context.close()

    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{server}/console?day={plan_day}")
    login_page(page, "dispatcher", "dispatch-demo-2026")
    page.wait_for_selector("#lanes li[draggable]")
    page.wait_for_selector("#outbox tr")
    page.wait_for_timeout(800)
    page.screenshot(path=str(out / f"console-{size}.png"), full_page=True)
    context.close()
    assert (out / f"console-{size}.png").stat().st_size > 10_000
