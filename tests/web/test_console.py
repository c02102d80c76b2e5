"""The dispatcher console: dragging a car-only stop onto a motorbike shows the violation."""

from __future__ import annotations

import pytest

from tests.web.conftest import login_page

pytestmark = pytest.mark.browser


def test_drag_shows_violation(browser, server, route_plan, plan_day):
    """A county run dragged to a motorbike agent is refused with its violations, unsaved."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{server}/console?day={plan_day}")
    login_page(page, "dispatcher", "dispatch-demo-2026")
    page.wait_for_selector("#lanes li[draggable]")
    version = page.inner_text("#plan-status")
    source = page.locator('#lanes li[draggable][data-task^="county"]').first
    agent = route_plan["routes"][0]["agent_id"]  # the demo agent rides a motorbike
    target = page.locator(f'#lanes ol[data-agent="{agent}"] li').first
    source.drag_to(target)
    page.wait_for_selector("#violations[open]")
    assert page.locator("#violation-list li").count() >= 1
    assert "车辆不满足要求" in page.inner_text("#violation-list")
    page.click("#violation-cancel")
    assert page.inner_text("#plan-status") == version
    assert "被拒绝" in page.inner_text("#move-result")
    context.close()
