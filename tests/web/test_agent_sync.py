"""The agent app's sync: a connection cut half-way, and a plan re-published meanwhile."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.plans import StopEvent
from dispatch.workdays import next_working_day
from tests.dispatch.conftest import agent_login
from tests.web.conftest import api_login, login_page, publish_day

pytestmark = pytest.mark.browser
FAIL_NOTE = "村委会锁门"
NO_SLOW_TIMERS = """
const setIntervalAsIs = window.setInterval;
window.setInterval = (fn, ms, ...args) => (ms >= 20000 ? 0 : setIntervalAsIs(fn, ms, ...args));
"""


# Days from the tenth working day after ``plan_day`` on are this module's, one a test, so
# the other tests' days (``plan_day`` and the few after it) keep their stops as they left them.
DAYS_USED = itertools.count(10)


@pytest.fixture()
def sync_day(plan_day: date) -> date:
    """A day of its own for each test, on which every stop is still open."""
    day = plan_day
    for _ in range(next(DAYS_USED)):
        day = next_working_day(day)
    return day


@pytest.fixture()
def sync_route(web_app, sync_day) -> dict[str, Any]:
    """The day planned and published; the route with the most stops, its plan and a login for
    its agent."""
    c = web_app.test_client()
    plan = publish_day(c, api_login(c, "dispatcher", "dispatch-demo-2026"), sync_day)
    route = max(plan["routes"], key=lambda r: len(open_stops(r)))
    assert len(open_stops(route)) >= 2, route
    return {"plan": plan, "route": route, "login": agent_login(web_app, route["agent_id"])}


def open_stops(route: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in route["stops"] if s["task_key"] and s["status"] == "planned"]


def open_app(browser, server, day: date, login: tuple[str, str], first_stop: int):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    # Without the app's 20-second sync timer, only its own retry can resume a broken sync.
    context.add_init_script(NO_SLOW_TIMERS)
    page = context.new_page()
    page.goto(f"{server}/app?day={day}")
    login_page(page, *login)
    page.wait_for_selector(f'li.stop[data-stop="{first_stop}"] button.arrived')
    return context, page


def arrive(page, stop_id: int) -> None:
    page.locator(f'li.stop[data-stop="{stop_id}"] button.arrived').click()
    page.wait_for_selector(f'li.stop[data-stop="{stop_id}"].status-arrived')


def fail(page, stop_id: int) -> None:
    page.locator(f'li.stop[data-stop="{stop_id}"] button.failed').click()
    page.fill("#fail-note", FAIL_NOTE)
    page.click("#fail-ok")
    page.wait_for_selector(f'li.stop[data-stop="{stop_id}"].status-failed')


def stop_events(web_app, stop_ids: set[int]) -> list[tuple[int, int, str, str, bool]]:
    """(stop, stop named, status, key, applied) of the reports on those stops, oldest first."""
    with web_app.app_context():
        rows = db.session.execute(
            select(
                StopEvent.stop_id,
                StopEvent.reported_stop_id,
                StopEvent.status,
                StopEvent.idempotency_key,
                StopEvent.applied,
            )
            .where(StopEvent.stop_id.in_(stop_ids))
            .order_by(StopEvent.id)
        ).all()
        db.session.remove()
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("lost", ["request", "answer"])
def test_sync_resumes_after_a_cut_half_way(browser, server, web_app, sync_day, sync_route, lost):
    """Three reports made offline; back online the second one's request (or the server's
    answer to it) is lost; the app retries by itself and the server holds the three reports
    once each, in the order they were made."""
    a, b = (s["id"] for s in open_stops(sync_route["route"])[:2])
    context, page = open_app(browser, server, sync_day, sync_route["login"], a)
    sent: list[dict[str, Any]] = []  # the body of every report that left the page

    def cut_the_second(route) -> None:
        sent.append(route.request.post_data_json)
        if len(sent) != 2:
            route.continue_()
            return
        if lost == "answer":
            route.fetch()  # the server applies it; its answer never reaches the phone
        route.abort("internetdisconnected")

    page.route("**/api/plans/stops/*", cut_the_second)
    context.set_offline(True)
    page.wait_for_selector("#net.off")
    arrive(page, a)
    fail(page, a)
    arrive(page, b)
    assert page.inner_text("#queue-count") == "待同步（3）"

    context.set_offline(False)
    page.wait_for_selector("#sync-now:not(.waiting)", timeout=20_000)
    assert page.locator("#rejected").is_hidden()
    keys = [body["idempotency_key"] for body in sent]
    assert len(sent) == 4 and keys[1] == keys[2], sent  # the lost one went again, same key
    events = stop_events(web_app, {a, b})
    assert [(e[0], e[2]) for e in events] == [(a, "arrived"), (a, "failed"), (b, "arrived")]
    assert [e[3] for e in events] == [keys[0], keys[1], keys[3]]
    page.wait_for_selector(f'li.stop[data-stop="{a}"].status-failed >> text={FAIL_NOTE}')
    context.close()


def test_reports_on_a_replaced_version_follow_the_task(
    browser, server, web_app, sync_day, sync_route
):
    """Arrived and failed at a stop offline while the dispatcher re-plans and publishes: the
    first report lands on the new version's stop, and the app sends the second to its id."""
    old = open_stops(sync_route["route"])[0]
    context, page = open_app(browser, server, sync_day, sync_route["login"], old["id"])
    paths: list[str] = []
    page.on(
        "request",
        lambda r: paths.append(r.url.split("/api")[1]) if r.method == "PATCH" else None,
    )
    context.set_offline(True)
    page.wait_for_selector("#net.off")
    arrive(page, old["id"])
    fail(page, old["id"])

    c = web_app.test_client()
    head = api_login(c, "dispatcher", "dispatch-demo-2026")
    plan_id, agent_id = sync_route["plan"]["id"], sync_route["route"]["agent_id"]
    pin = {"kind": "pin", "agent_id": agent_id, "task_key": old["task_key"]}  # stays with them
    assert c.post(f"/api/plans/{plan_id}/overrides", json=pin, headers=head).status_code == 201
    resp = c.post(f"/api/plans/{plan_id}/replan", json={"reason": "test"}, headers=head)
    assert resp.status_code == 201, resp.get_json()
    new_id = resp.get_json()["plan_id"]
    assert c.post(f"/api/plans/{new_id}/publish", headers=head).status_code == 200
    new_plan = c.get(f"/api/plans/{new_id}", headers=head).get_json()
    route = next(r for r in new_plan["routes"] if r["agent_id"] == agent_id)
    task = (old["task_key"], old["kind"])
    new = next(s for s in route["stops"] if (s["task_key"], s["kind"]) == task)

    context.set_offline(False)
    page.wait_for_selector("#sync-now:not(.waiting)", timeout=20_000)
    assert page.locator("#rejected").is_hidden()
    assert paths == [f"/plans/stops/{old['id']}", f"/plans/stops/{new['id']}"]
    events = stop_events(web_app, {old["id"], new["id"]})
    assert [(e[0], e[1], e[2], e[4]) for e in events] == [
        (new["id"], old["id"], "arrived", True),
        (new["id"], new["id"], "failed", True),
    ]
    page.wait_for_selector(f'li.stop[data-stop="{new["id"]}"].status-failed')
    assert page.locator(f'li.stop[data-stop="{old["id"]}"]').count() == 0
    context.close()
