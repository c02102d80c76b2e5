"""The phone's entrustment screen: a villager with no 委托书 signs one on the canvas offline,
the collection's receipt follows, and back online both reach the server once, in order."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.cases import Case, CustodyEvent
from dispatch.models.entrustments import Entrustment
from dispatch.models.regions import Region
from dispatch.services.images import image
from dispatch.workdays import CST, next_working_day
from tests.dispatch.api.conftest import applicant_body
from tests.dispatch.conftest import agent_login
from tests.web.conftest import api_login, draw, login_page, publish_day, village_with_room

pytestmark = pytest.mark.browser


def _quiet_village(web_app) -> str:
    """A village of the demo township with a room and nothing else to collect, so the stop
    for the new case moves no seeded case that other tests plan."""
    busy = select(Case.village_id).where(Case.status == "materials_checked")
    village = village_with_room(web_app, Region.id.not_in(busy))
    assert village is not None, "every village of the demo township has a collection"
    return village


def _collection(web_app) -> dict[str, Any]:
    """A new agent case with no entrustment, checked at a quiet village; a day no other test
    plans, published; the collect stop of that case and a login for its agent."""
    c = web_app.test_client()
    head = api_login(c, "dispatcher", "dispatch-demo-2026")
    applicant = c.post(
        "/api/applicants/", json=applicant_body(_quiet_village(web_app), vulnerable=False),
        headers=head,
    ).get_json()  # fmt: skip
    body = {"applicant_id": applicant["id"], "item_code": "DEMO-GA-001", "channel": "agent"}
    case = c.post("/api/cases/", json=body, headers=head).get_json()
    etag = c.get(f"/api/cases/{case['id']}", headers=head).headers["ETag"]
    checked = c.post(f"/api/cases/{case['id']}/transitions", json={"to": "materials_checked"},
                     headers=head | {"If-Match": etag})  # fmt: skip
    assert checked.status_code == 200, checked.get_json()
    day = next_working_day(datetime.now(CST).date() + timedelta(days=45))
    plan = publish_day(c, head, day, "balance")
    found = [
        (r, s)
        for r in plan["routes"]
        for s in r["stops"]
        if s["action"] == "collect" and case["id"] in {x["id"] for x in s["cases"]}
    ]
    assert len(found) == 1, f"the new case's collection is not planned: {plan['summary']}"
    route, stop = found[0]
    assert [x["id"] for x in stop["cases"]] == [case["id"]]
    login = agent_login(web_app, route["agent_id"])
    return {"day": day, "agent": route["agent_id"], "stop": stop, "case": case, "login": login}


def test_entrustment_signed_offline_syncs_before_the_receipt(browser, server, web_app):
    """Offline: no signature is refused on the form; signed, it waits in the queue with the
    stop's receipts. Online: one 委托书 (phone, this agent alone, the drawn PNG), then the
    hand-over to this agent, which the guard lets through; nothing rejected."""
    got = _collection(web_app)
    stop, cid = got["stop"], got["case"]["id"]
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{server}/app?day={got['day']}")
    login_page(page, *got["login"])
    block = page.locator(
        f'li.stop[data-stop="{stop["id"]}"] details.case', has_text=got["case"]["reference"]
    )
    block.locator("button.entrust").wait_for()
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=20_000)

    context.set_offline(True)
    page.wait_for_selector("#net.off")
    block.locator("button.entrust").click()
    page.wait_for_selector("#entrust[open]")
    assert got["case"]["reference"] in page.inner_text("#entrust-case")
    page.click("#entrust-ok")
    assert page.inner_text("#entrust .msg") == "请先签名，或拍手印照片"
    draw(page, "#entrust-signature")
    page.click("#entrust-ok")
    page.wait_for_selector("#entrust[open]", state="detached")
    block.locator(".entrust-need.wait").wait_for()
    assert page.inner_text("#queue-count") == "待同步（1）"

    page.locator(f'li.stop[data-stop="{stop["id"]}"] button.done').click()
    page.wait_for_selector("#receipt[open]")
    draw(page, "#signature")
    page.click("#receipt-ok")
    page.wait_for_selector(f'li.stop[data-stop="{stop["id"]}"].status-done')
    assert page.inner_text("#queue-count") == f"待同步（{2 + len(stop['cases'])}）"
    with web_app.app_context():
        assert db.session.scalars(select(Entrustment).where(Entrustment.case_id == cid)).all() == []
        db.session.remove()

    context.set_offline(False)
    page.wait_for_selector("#sync-now:not(.waiting)", timeout=20_000)
    assert page.locator("#rejected").is_hidden()
    with web_app.app_context():
        (found,) = db.session.scalars(select(Entrustment).where(Entrustment.case_id == cid))
        assert (found.captured_at, found.covers, found.agent_id) == ("phone", "agent", got["agent"])
        assert (image(found.signature_hash) or "").startswith("data:image/png")
        assert found.materials and found.valid_until > got["day"]
        receipts = db.session.scalars(
            select(CustodyEvent).where(CustodyEvent.case_id == cid, CustodyEvent.to_kind == "agent")
        ).all()
        assert [(r.to_id, r.at >= found.signed_at) for r in receipts] == [(got["agent"], True)]
        db.session.remove()
    context.close()
