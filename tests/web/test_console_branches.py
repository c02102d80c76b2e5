"""The console's branch buttons: 补正, 中止 / 续办, 不予许可 and 撤回 on a case found by its
reference, each enabled only where the case may take it, each landing on the server once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.centres import CentreKind, ServiceCentre
from dispatch.models.outbox import OutboxMessage
from dispatch.models.regions import Region
from dispatch.setup.demo import DEMO_SIGNATURE, DEMO_TOWNSHIP
from tests.dispatch.api.conftest import applicant_body
from tests.web.conftest import api_login, login_page

pytestmark = pytest.mark.browser

TOWNSHIP_ITEM = "DEMO-SB-001"  # decided at the township centre
VILLAGE_ITEM = "DEMO-CW-001"  # 居住证明, decided at the village room


def _post(c, head, path: str, body: dict[str, Any], expect: int = 200) -> Any:
    etag = c.get(path.rsplit("/", 1)[0], headers=head).headers.get("ETag", "*")
    resp = c.post(path, json=body, headers=head | {"If-Match": etag})
    assert resp.status_code == expect, resp.get_json()
    return resp.get_json()


def _case_at_the_township(web_app, item: str = TOWNSHIP_ITEM) -> tuple[int, str]:
    """A new agent case, entrusted; a township item checked and at the township centre, a
    village item just registered."""
    c = web_app.test_client()
    head = api_login(c, "dispatcher", "dispatch-demo-2026")
    with web_app.app_context():
        town = db.session.scalar(select(Region).where(Region.code == DEMO_TOWNSHIP))
        centre = db.session.scalar(
            select(ServiceCentre.id).where(
                ServiceCentre.region_id == town.id, ServiceCentre.kind == CentreKind.TOWNSHIP
            )
        )
        village = db.session.scalar(
            select(Region.code).where(Region.parent_id == town.id).order_by(Region.code)
        )
        db.session.remove()
    applicant = c.post("/api/applicants/", json=applicant_body(village), headers=head)
    assert applicant.status_code == 201, applicant.get_json()
    body = {
        "applicant_id": applicant.get_json()["id"],
        "item_code": item,
        "channel": "agent",
    }
    case = c.post("/api/cases/", json=body, headers=head).get_json()
    cid = case["id"]
    agents = c.get("/api/agents/?page_size=1&active=true", headers=head).get_json()
    signed = {
        "agent_id": agents[0]["id"],
        "materials": ["居民身份证"],
        "valid_until": "2099-12-31",
        "captured_at": "village_room",
        "covers": "township",
        "signature_png": DEMO_SIGNATURE,
    }
    assert c.post(f"/api/cases/{cid}/entrustment", json=signed, headers=head).status_code == 201
    if item == VILLAGE_ITEM:
        return cid, case["reference"]
    _post(c, head, f"/api/cases/{cid}/transitions", {"to": "materials_checked"})
    hand = c.post(f"/api/cases/{cid}/custody", json={"to_kind": "centre", "to_id": centre},
                  headers=head)  # fmt: skip
    assert hand.status_code == 201, hand.get_json()
    return cid, case["reference"]


def _console(browser, server) -> tuple[Any, Any]:
    """The dispatcher's console, logged in, its case card ready."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/console")
    login_page(page, "dispatcher", "dispatch-demo-2026")
    page.wait_for_selector("#case-find")
    return context, page


def _enabled(page) -> list[str]:
    return page.eval_on_selector_all(
        "#case-box button.branch:not([disabled])", "els => els.map(e => e.dataset.move)"
    )


def _open(page, reference: str, status: str) -> None:
    page.fill("#case-ref", reference)
    page.click("#case-open")
    page.wait_for_selector(f'#case-facts[data-status="{status}"]')


def _move(page, move: str, fill: dict[str, str], status: str) -> None:
    page.click(f'#case-box button[data-move="{move}"]')
    page.wait_for_selector("#branch-dialog[open]")
    for selector, text in fill.items():
        page.fill(f"#branch-fields {selector}", text)
    page.click("#branch-submit")
    page.wait_for_selector("#branch-dialog[open]", state="detached")
    page.wait_for_selector(f'#case-facts[data-status="{status}"]')


def _server(web_app, cid: int) -> tuple[str, Counter[str]]:
    c = web_app.test_client()
    head = api_login(c, "dispatcher", "dispatch-demo-2026")
    status = c.get(f"/api/cases/{cid}", headers=head).get_json()["status"]
    with web_app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms"))
        sms = Counter(m.kind for m in rows if m.data.get("case_id") == cid)
        db.session.remove()
    return status, sms


def test_branch_buttons_follow_the_case(browser, server, web_app):
    """At the township: 补正 with a ticked material; then 中止 and 续办, 不予许可 with its basis;
    a second case 撤回. The buttons offered change with the status; the server agrees."""
    first, ref1 = _case_at_the_township(web_app)
    second, ref2 = _case_at_the_township(web_app)
    context, page = _console(browser, server)

    _open(page, ref1, "at_township")
    assert _enabled(page) == ["supplement", "refusal", "suspension", "withdrawal", "revocation"]
    page.click('#case-box button[data-move="supplement"]')
    page.wait_for_selector("#branch-dialog[open]")
    page.locator("#branch-fields input[name=missing]").first.check()
    page.click("#branch-submit")
    page.wait_for_selector('#case-facts[data-status="supplement"]')
    assert _enabled(page) == ["withdrawal", "revocation"]
    assert "计时暂停" in page.inner_text("#case-facts")
    assert "补正告知（第 1 次）" in page.inner_text("#case-box")
    assert _server(web_app, first) == ("supplement", Counter({"supplement_requested": 1}))

    _open(page, ref2, "at_township")
    _move(page, "suspension", {"textarea[name=reason]": "申请人外出务工"}, "suspended")
    assert _enabled(page) == ["continuation", "withdrawal", "revocation"]
    _move(page, "continuation", {}, "at_township")
    page.click('#case-box button[data-move="refusal"]')
    page.wait_for_selector("#branch-dialog[open]")
    page.select_option("#branch-fields select[name=kind]", "not_permitted")
    page.fill("#branch-fields textarea[name=reason]", "不符合发证条件")
    page.click("#branch-submit")  # no legal basis: the form keeps the dialog open
    assert page.locator("#branch-dialog[open]").count() == 1
    page.fill("#branch-fields input[name=legal_basis]", "《残疾人证管理办法》第七条")
    page.click("#branch-submit")
    page.wait_for_selector('#case-facts[data-status="refused"]')
    assert "第七条" in page.inner_text("#case-box")
    assert _enabled(page) == []
    assert _server(web_app, second) == (
        "refused", Counter({"case_suspended": 1, "case_continued": 1, "case_refused": 1}),
    )  # fmt: skip

    _open(page, ref1, "supplement")
    _move(page, "withdrawal", {"textarea[name=reason]": "村民不办了"}, "withdrawn")
    assert _server(web_app, first)[0] == "withdrawn"
    page.fill("#case-ref", "DB000000000000")
    page.click("#case-open")
    page.wait_for_selector("#case-box [role=alert]")
    assert "辖区内没有代办件" in page.inner_text("#case-box")
    context.close()
    # Both files go home at the village, leaving the later tests' plans no return legs.
    assert [_hand_home(web_app, cid) for cid in (first, second)] == ["cancelled", "closed"]


def test_the_desk_revokes_and_decides_on_the_spot(browser, server, web_app):
    """撤销委托 stops a case at the township and sends it back; a village item registered at
    the room offers 现场办结 and is delivered there."""
    held, ref1 = _case_at_the_township(web_app)
    village, ref2 = _case_at_the_township(web_app, VILLAGE_ITEM)
    context, page = _console(browser, server)
    _open(page, ref1, "at_township")
    _move(page, "revocation", {"textarea[name=reason]": "村民改为自行办理"}, "withdrawn")
    assert _server(web_app, held) == ("withdrawn", Counter({"case_withdrawn": 1}))
    _open(page, ref2, "registered")
    assert _enabled(page) == ["suspension", "withdrawal", "revocation", "on_site"]
    _move(page, "on_site", {}, "delivered")
    assert _enabled(page) == []
    assert _server(web_app, village)[0] == "delivered"
    context.close()
    assert _hand_home(web_app, held) == "cancelled"


def _hand_home(web_app, cid: int) -> str:
    c = web_app.test_client()
    head = api_login(c, "dispatcher", "dispatch-demo-2026")
    case = c.get(f"/api/cases/{cid}", headers=head).get_json()
    body = {"to_kind": "applicant", "to_id": case["applicant_id"]}
    assert c.post(f"/api/cases/{cid}/custody", json=body, headers=head).status_code == 201
    return c.get(f"/api/cases/{cid}", headers=head).get_json()["status"]
