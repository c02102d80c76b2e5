"""The booking page: two kiosks race for the last free home visit; one wins, one is told."""

from __future__ import annotations

from datetime import datetime

import pytest

from dispatch.workdays import CST, next_working_day
from tests.web.conftest import KIOSK, login_page

pytestmark = pytest.mark.browser
SLOT = "08:30-10:30"
# A home visit with no ride: an in-person service's round trip outlasts the kiosk agent's shift.
SERVICE = "DEMO-MZ-004"  # 高龄老人津贴申领, for the elderly


def to_slots(page, server: str, day: str, applicant_id: int) -> None:
    page.goto(f"{server}/book?date={day}")
    login_page(page, *KIOSK)
    page.click(f'button.service[data-code="{SERVICE}"]')
    page.click("#notice-ok")
    page.click(f'button.applicant[data-id="{applicant_id}"]')
    page.click("#mode-visit")
    page.wait_for_selector(f'#slots button[data-slot="{SLOT}"]:not([disabled])')


def test_last_slot_goes_to_one_kiosk(browser, server, kiosk):
    """Both kiosks see the one slot; both tap it; one confirmation, one "slot taken"."""
    day = next_working_day(datetime.now(CST).date()).isoformat()
    (first, _), (second, _) = kiosk["applicants"]
    pages = []
    for applicant in (first, second):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        to_slots(page, server, day, applicant)
        assert page.locator("#slots button:not([disabled])").count() == 1
        pages.append(page)
    for page in pages:
        page.click(f'#slots button[data-slot="{SLOT}"]', no_wait_after=True)
    outcomes = []
    for page in pages:
        page.wait_for_selector("#confirmation, #slot-taken")
        outcomes.append("booked" if page.locator("#confirmation").count() else "taken")
    assert sorted(outcomes) == ["booked", "taken"]
    winner = pages[outcomes.index("booked")]
    assert winner.inner_text(".ref").startswith("DB")
    loser = pages[outcomes.index("taken")]
    assert "刚被约走" in loser.inner_text("#slot-taken")
    loser.wait_for_selector(f'#slots button[data-slot="{SLOT}"][disabled]')
    for page in pages:
        page.context.close()
