"""The dispatcher console: an absent agent's stops go elsewhere, a pinned task joins its agent."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dispatch.setup.demo import DEMO_TOWNSHIP
from dispatch.workdays import next_working_day
from tests.web.conftest import api_login, login_page, publish_day

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def override_day(plan_day: date) -> date:
    """A day of its own: an absence and pins stay on the day they were made."""
    return next_working_day(next_working_day(plan_day))


@pytest.fixture(scope="module")
def waiting_collect(web_app) -> str:
    """A case of this module's own, checked and left at a village room of the demo township;
    the key of the task that collects it. The demo's own two such cases may already be in an
    agent's hands: earlier tests share the session's database and complete stops in it."""
    c = web_app.test_client()
    head = api_login(c, "dispatcher", "dispatch-demo-2026")
    rooms = f"/api/centres/?kind=village&region={DEMO_TOWNSHIP}&page_size=100"
    room = c.get(rooms, headers=head).get_json()[0]
    villagers = f"/api/applicants/?village={room['region_code']}&vulnerable=false"
    applicant = c.get(villagers, headers=head).get_json()[0]
    item = c.get("/api/items/?in_person=false&active=true", headers=head).get_json()[0]
    new = {"applicant_id": applicant["id"], "item_code": item["code"], "channel": "agent"}
    resp = c.post("/api/cases/", json=new, headers=head)
    assert resp.status_code == 201, resp.get_json()
    url = f"/api/cases/{resp.get_json()['id']}"
    etag = c.get(url, headers=head).headers["ETag"]
    to = {"to": "materials_checked"}
    resp = c.post(f"{url}/transitions", json=to, headers=head | {"If-Match": etag})
    assert resp.status_code == 200, resp.get_json()
    resp = c.post(f"{url}/custody", json={"to_kind": "centre", "to_id": room["id"]}, headers=head)
    assert resp.status_code == 201, resp.get_json()
    case = c.get(url, headers=head).get_json()
    assert (case["status"], case["holder_kind"]) == ("materials_checked", "centre"), case
    return f"collect:{room['region_code']}"


@pytest.fixture(scope="module")
def day_plan(web_app, override_day, waiting_collect) -> dict[str, Any]:
    """The demo township's day planned and published with a collect among its tasks, and the
    township's agents."""
    c = web_app.test_client()
    head = api_login(c, "dispatcher", "dispatch-demo-2026")
    plan = publish_day(c, head, override_day)
    assert any(waiting_collect in _task_keys(r) for r in plan["routes"]), plan["summary"]
    agents = c.get("/api/agents/?active=true&page_size=100", headers=head).get_json()
    return {
        "plan": plan,
        "agents": [a for a in agents if a["region_code"] == DEMO_TOWNSHIP],
        "collect": waiting_collect,
    }


def _task_keys(route: dict[str, Any]) -> list[str]:
    fixed = ("start", "end", "break")
    return list(dict.fromkeys(s["task_key"] for s in route["stops"] if s["kind"] not in fixed))


def test_absence_moves_stops_and_a_pin_puts_a_task_on_its_agent(
    browser, server, override_day, day_plan
):
    """The busiest agent marked absent: each of their tasks is shown on another agent's lane or
    as not planned with a reason. A task pinned to another agent is on that agent's lane after
    the re-plan; a pin to the absent agent shows the API's refusal; unpinning lifts the pin."""
    plan = day_plan["plan"]
    busiest = max(plan["routes"], key=lambda r: len(_task_keys(r)))
    sick, their_tasks = busiest["agent_id"], _task_keys(busiest)
    assert their_tasks
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/console?day={override_day}")
    login_page(page, "dispatcher", "dispatch-demo-2026")
    page.wait_for_selector(f'#lanes ol[data-agent="{sick}"] li[data-task]')

    page.select_option("#absence-agent", str(sick))
    page.fill("#absence-reason", "发烧")
    page.click("#absence-submit")
    page.wait_for_selector("#override-result li[data-task]")
    assert page.locator(f'#lanes ol[data-agent="{sick}"]').count() == 0
    assert "已发布" in page.inner_text("#plan-status")
    outcome = page.locator("#override-result li[data-task]")
    assert sorted(outcome.evaluate_all("els => els.map(e => e.dataset.task)")) == sorted(
        their_tasks
    )
    for item in outcome.all():
        key = item.get_attribute("data-task")
        if item.get_attribute("class") == "moved":
            assert page.locator(f'#lanes li[data-task="{key}"]').count() >= 1
        else:
            reason = item.inner_text().split("未排入：", 1)[1]
            assert reason.strip() not in ("", "—"), item.inner_text()
            assert page.locator(f'#lanes li[data-task="{key}"]').count() == 0
    assert "发烧" in page.inner_text('#overrides li[data-kind="absent"]')

    key = day_plan["collect"]  # any agent can collect
    collect = page.locator(f'#lanes li[data-task="{key}"]').first
    source = int(collect.locator("xpath=..").get_attribute("data-agent"))
    on_duty = [a["id"] for a in day_plan["agents"] if a["id"] != sick and a["vehicle_id"]]
    target = next(a for a in on_duty if a != source)
    page.select_option("#pin-task", key)
    page.select_option("#pin-agent", str(sick))
    page.click("#pin-submit")
    refusal = page.wait_for_selector('#override-result [role="alert"]')
    assert "缺勤" in refusal.inner_text() and "agent_id" in refusal.inner_text()

    page.select_option("#pin-agent", str(target))
    page.click("#pin-submit")
    page.wait_for_selector(f'#lanes ol[data-agent="{target}"] li[data-task="{key}"]')
    assert page.locator(f'#lanes ol[data-agent="{source}"] li[data-task="{key}"]').count() == 0
    assert "现已在" in page.inner_text("#override-result")
    assert "草稿" in page.inner_text("#plan-status")
    pinned = page.locator(f'#overrides li[data-kind="pin"][data-task="{key}"]')
    pinned.wait_for()

    pinned.locator("button.unpin").click()
    page.wait_for_selector("#override-result :text('已取消指定')")
    page.wait_for_selector(f'#overrides li[data-kind="pin"][data-task="{key}"]', state="detached")
    context.close()
