"""Plain /app on a weekend: the agent's next working day's route, labelled with its date."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.agents import Agent
from dispatch.models.regions import Region
from dispatch.models.users import User
from dispatch.services.passwords import hash_password
from dispatch.setup.demo import DEMO_TOWNSHIP
from dispatch.workdays import CST, is_working_day
from tests.dispatch.api.conftest import register_case_to_collect
from tests.web.conftest import api_login, login_page, publish_day, village_with_room

LOGIN = ("weekend-agent", "weekend-agent-2026")

pytestmark = pytest.mark.browser


def _monday_after_a_weekend():
    """A working Monday three weeks on or later, after two days off: no other test plans it."""
    day = datetime.now(CST).date() + timedelta(days=21)
    while not (
        day.weekday() == 0
        and is_working_day(day)
        and not is_working_day(day - timedelta(days=1))
        and not is_working_day(day - timedelta(days=2))
    ):
        day += timedelta(days=1)
    return day


def _case_to_collect(c, head: dict[str, str], web_app) -> int:
    """A new agent case of the demo township, entrusted and checked at its village's room."""
    village = village_with_room(web_app)
    with web_app.app_context():
        agent = db.session.scalar(
            select(Agent.id)
            .join(Region, Region.id == Agent.region_id)
            .where(Region.code == DEMO_TOWNSHIP, Agent.active.is_(True))
            .order_by(Agent.id)
        )
        db.session.remove()
    assert village is not None and agent is not None
    return register_case_to_collect(c, head, village, agent)


def test_a_weekend_shows_the_next_working_days_route(browser, server, web_app):
    """On the Saturday before, /app shows Monday's route with a banner naming both dates, no
    report buttons, and shows it again after an offline reload."""
    monday = _monday_after_a_weekend()
    saturday = monday - timedelta(days=2)
    c = web_app.test_client()
    head = api_login(c, "dispatcher", "dispatch-demo-2026")
    # Its own collection, so Monday has work whatever earlier tests did to the seeded cases.
    _case_to_collect(c, head, web_app)
    plan = publish_day(c, head, monday, "balance")
    # The demo login if Monday gives its agent stops, else a login bound to an agent it does.
    with web_app.app_context():
        busy = [r["agent_id"] for r in plan["routes"] if any(s["task_key"] for s in r["stops"])]
        demo = db.session.scalar(select(User).where(User.username == "agent"))
        login = ("agent", "agent-demo-2026") if demo.agent_id in busy else LOGIN
        if login == LOGIN:
            taken = set(db.session.scalars(select(User.agent_id)))
            db.session.add(
                User(
                    username=LOGIN[0],
                    password_hash=hash_password(LOGIN[1]),
                    role="agent",
                    agent_id=next(a for a in busy if a not in taken),
                )
            )
            db.session.commit()
        db.session.remove()
    mine = c.get(f"/api/plans/today?day={saturday}&upcoming=true", headers=api_login(c, *login))
    assert mine.status_code == 200, mine.get_json()
    assert mine.get_json()["day"] == str(monday)
    stops = [s["id"] for s in mine.get_json()["routes"][0]["stops"]]

    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.clock.set_fixed_time(datetime.combine(saturday, time(10, 0), CST))
    page.goto(f"{server}/app")
    login_page(page, *login)
    page.wait_for_selector(f'li.stop[data-stop="{stops[0]}"]')
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=20_000)

    def shows_monday() -> None:
        banner = page.inner_text("#ahead")
        assert banner.startswith(f"今天（{saturday}）没有您的路线"), banner
        assert f"下一个工作日 {monday} 的路线" in banner, banner
        assert str(monday) in page.inner_text("#plan-info")
        shown = page.eval_on_selector_all("li.stop", "els => els.map(e => +e.dataset.stop)")
        assert shown == stops
        assert page.locator("li.stop button").count() == 0

    shows_monday()
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#net.off")
    page.wait_for_selector(f'li.stop[data-stop="{stops[0]}"]')
    shows_monday()
    context.close()
