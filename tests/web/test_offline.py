"""The phone app opens offline: its service worker registers, and each login keeps its own route."""

from __future__ import annotations

from typing import Any

import pytest

from tests.dispatch.conftest import agent_login
from tests.web.conftest import api_login, login_page

pytestmark = pytest.mark.browser


def _task_stops(route: dict[str, Any]) -> list[int]:
    return [s["id"] for s in route["stops"] if s["task_key"]]


def _shown_stops(page) -> list[int]:
    return [
        int(x) for x in page.eval_on_selector_all("li.stop", "els => els.map(e => e.dataset.stop)")
    ]


def _open(page, server: str, day, login: tuple[str, str], first_stop: int) -> None:
    page.goto(f"{server}/app?day={day}")
    login_page(page, *login)
    page.wait_for_selector(f'li.stop[data-stop="{first_stop}"]')
    # The worker controls the page once it has installed the shell and claimed its clients.
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=20_000)


def test_registers_and_reloads_offline_per_agent(browser, server, web_app, route_plan, plan_day):
    """Agent A's route opens offline after a reload; agent B, logging in on the same phone
    after A logged out, sees B's route online and offline, and A's cached route is gone."""
    mine = route_plan["routes"][0]
    c = web_app.test_client()
    plan = c.get(
        f"/api/plans/{route_plan['id']}", headers=api_login(c, "dispatcher", "dispatch-demo-2026")
    ).get_json()
    other = next(r for r in plan["routes"] if r["agent_id"] != mine["agent_id"] and r["stops"])
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    _open(page, server, plan_day, ("agent", "agent-demo-2026"), mine["stops"][0]["id"])
    scope = page.evaluate("navigator.serviceWorker.getRegistration('/app').then(r => r.scope)")
    assert scope == f"{server}/app"
    assert page.locator("#sw-error").is_hidden()
    assert not [e for e in errors if "service worker" in e.lower()], errors

    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#net.off")
    page.wait_for_selector(f'li.stop[data-stop="{mine["stops"][0]["id"]}"]')
    assert _shown_stops(page) == [s["id"] for s in mine["stops"]]

    context.set_offline(False)
    page.reload()
    page.wait_for_selector("#net.on")
    page.click("#logout")
    page.wait_for_selector("#login:not([hidden])")
    b_login = agent_login(web_app, other["agent_id"])
    login_page(page, *b_login)
    page.wait_for_selector(f'li.stop[data-stop="{other["stops"][0]["id"]}"]')
    assert _shown_stops(page) == [s["id"] for s in other["stops"]]

    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#net.off")
    page.wait_for_selector(f'li.stop[data-stop="{other["stops"][0]["id"]}"]')
    shown = _shown_stops(page)
    assert shown == [s["id"] for s in other["stops"]]
    assert not set(shown) & set(_task_stops(mine))
    # Nothing of A's route is left on the phone: not in its database, not in the cache.
    cached = page.evaluate(
        """async (day) => {
          const out = {};
          for (const info of await indexedDB.databases()) {
            const db = await idb.openDB(info.name);
            const has = db.objectStoreNames.contains("kv");
            out[info.name] = has ? await db.get("kv", "plan:" + day) : null;
            db.close();
          }
          const keys = [];
          for (const name of await caches.keys()) {
            for (const req of await (await caches.open(name)).keys()) keys.push(req.url);
          }
          return { plans: out, cached: keys };
        }""",
        str(plan_day),
    )
    plans = {name: p for name, p in cached["plans"].items() if p}
    assert (
        len(plans) == 1 and next(iter(plans.values()))["routes"][0]["agent_id"] == other["agent_id"]
    )
    assert not [u for u in cached["cached"] if "/api/" in u], cached["cached"]
    context.close()


def test_a_failed_registration_is_shown_and_logged(browser, server):
    """A worker the browser refuses (as Chromium refused the old scope) is reported on the page
    and in the console instead of leaving the app silently online-only."""
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.add_init_script(
        "navigator.serviceWorker.register = () => Promise.reject("
        "new TypeError('The path of the provided scope is not under the max scope allowed'))"
    )
    page.goto(f"{server}/app")
    page.wait_for_selector("#sw-error:not([hidden])")
    assert "离线" in page.inner_text("#sw-error") and "max scope" in page.inner_text("#sw-error")
    assert any("service worker" in e for e in errors), errors
    context.close()
