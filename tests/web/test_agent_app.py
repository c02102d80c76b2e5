"""The agent's phone app: a stop done online, two offline, all synced exactly once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models.cases import CustodyEvent
from dispatch.models.plans import StopEvent
from dispatch.services.images import image
from tests.web.conftest import draw, login_page

pytestmark = pytest.mark.browser


def sign(page) -> None:
    """Draw a signature with the mouse on the receipt's canvas."""
    draw(page, "#signature")


def complete(page, stop_id: int) -> None:
    card = page.locator(f'li.stop[data-stop="{stop_id}"]')
    card.locator("button.done").click()
    if page.locator("#receipt[open]").count():
        sign(page)
        page.click("#receipt-ok")
        page.wait_for_selector("#receipt[open]", state="detached")
    page.wait_for_selector(f'li.stop[data-stop="{stop_id}"].status-done')


def test_offline_stops_sync_once(browser, server, route_plan, plan_day, web_app):
    """One stop done online with a drawn signature, two offline; back online the server holds
    exactly three stop updates, one each, and one receipt per case."""
    stops = [s for s in route_plan["routes"][0]["stops"] if s["task_key"]][:3]
    ids = [s["id"] for s in stops]
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{server}/app?day={plan_day}")
    login_page(page, "agent", "agent-demo-2026")
    page.wait_for_selector(f'li.stop[data-stop="{ids[0]}"] button.done')
    assert page.locator("li.stop").count() == len(route_plan["routes"][0]["stops"])

    complete(page, ids[0])
    page.wait_for_selector("#sync-now:not(.waiting)")

    context.set_offline(True)
    page.wait_for_selector("#net.off")
    complete(page, ids[1])
    complete(page, ids[2])
    waiting = 2 + sum(len(s["cases"]) for s in stops[1:])  # two stop reports and the receipts
    assert page.inner_text("#queue-count") == f"待同步（{waiting}）"
    with web_app.app_context():
        assert (
            db.session.scalar(select(func.count(StopEvent.id)).where(StopEvent.stop_id.in_(ids)))
            == 1
        )
        db.session.remove()

    context.set_offline(False)
    page.wait_for_selector("#sync-now:not(.waiting)", timeout=20_000)
    page.reload()  # a reload after sync must not send anything twice
    page.wait_for_selector(f'li.stop[data-stop="{ids[2]}"].status-done')
    page.wait_for_selector("#sync-now:not(.waiting)")
    case_ids = {c["id"] for s in stops for c in s["cases"]}
    with web_app.app_context():
        events = db.session.execute(
            select(StopEvent.stop_id, StopEvent.status).where(StopEvent.stop_id.in_(ids))
        ).all()
        assert sorted(events) == sorted((i, "done") for i in ids)
        receipts = db.session.scalars(
            select(CustodyEvent).where(
                CustodyEvent.case_id.in_(case_ids), CustodyEvent.recorded_by_id.is_not(None)
            )
        ).all()
        keys = [r.idempotency_key for r in receipts]
        assert len(keys) == len(set(keys)) == sum(len(s["cases"]) for s in stops)
        assert all((image(r.signature_hash) or "").startswith("data:image/png") for r in receipts)
        db.session.remove()
    context.close()
