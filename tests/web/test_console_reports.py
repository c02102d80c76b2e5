"""The dispatcher console lists a phone's report on a stop that left the plan, to be checked."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dispatch.workdays import next_working_day
from tests.dispatch.conftest import agent_login
from tests.web.conftest import api_login, login_page, publish_day

pytestmark = pytest.mark.browser

CANCELLABLE = {"registered", "materials_checked", "with_agent", "at_township"}


@pytest.fixture(scope="module")
def report_day(plan_day: date) -> date:
    """A day of its own, after the ones the other console tests plan."""
    day = plan_day
    for _ in range(4):
        day = next_working_day(day)
    return day


@pytest.fixture(scope="module")
def stale_report(web_app, report_day) -> dict[str, Any]:
    """A stop whose cases were withdrawn before a re-plan, then reported failed by its agent's
    phone: the report is kept unapplied. Returns the stop and the agent's name."""
    c = web_app.test_client()
    head = api_login(c, "dispatcher", "dispatch-demo-2026")
    plan = publish_day(c, head, report_day)
    route, stop = next(
        (r, s)
        for r in plan["routes"]
        for s in r["stops"]
        if s["task_key"] and s["cases"] and all(x["status"] in CANCELLABLE for x in s["cases"])
    )
    for case in stop["cases"]:
        url = f"/api/cases/{case['id']}"
        etag = c.get(url, headers=head).headers["ETag"]
        # Withdrawn, not cancelled bare: a held file comes back down.
        body = {"reason": "withdrawn"}
        resp = c.post(f"{url}/withdrawal", json=body, headers=head | {"If-Match": etag})
        assert resp.status_code == 200, resp.get_json()
    resp = c.post(f"/api/plans/{plan['id']}/replan", headers=head, json={"reason": "withdrawn"})
    assert resp.status_code == 201, resp.get_json()
    new_id = resp.get_json()["plan_id"]
    assert c.post(f"/api/plans/{new_id}/publish", headers=head).status_code == 200
    phone = api_login(c, *agent_login(web_app, route["agent_id"]))
    report = {"status": "failed", "reason": "大门锁着 / gate locked"}
    resp = c.patch(f"/api/plans/stops/{stop['id']}", headers=phone, json=report)
    assert resp.status_code == 409, resp.get_json()
    return {"stop": stop, "agent": route["agent"], "reason": report["reason"]}


def test_reports_panel_lists_the_report_and_checks_it(browser, server, report_day, stale_report):
    """The panel counts and shows the report (agent, reported status, stop, reason); checking
    it with a note removes it and the count goes to zero."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/console?day={report_day}")
    login_page(page, "dispatcher", "dispatch-demo-2026")
    row = page.wait_for_selector("#reports tr[data-report]")
    assert page.locator("#reports tr[data-report]").count() == 1
    assert page.inner_text("#reports-count") == "1"
    text = row.inner_text()
    for part in (stale_report["agent"], "未完成", stale_report["stop"]["label"], "大门锁着"):
        assert part in text, text

    row.query_selector("button.resolve").click()
    page.wait_for_selector("#resolve-dialog[open]")
    page.click("#resolve-submit")  # an empty note: the browser asks for one first
    assert page.locator("#resolve-dialog[open]").count() == 1
    page.fill("#resolve-note", "已电话联系代办员，改约下周")
    page.click("#resolve-submit")
    page.wait_for_selector("#resolve-dialog", state="hidden")
    page.wait_for_selector("#reports tr[data-report]", state="detached")
    assert page.inner_text("#reports-count") == "0"
    assert "没有待核对的报告" in page.inner_text("#reports")
    context.close()
