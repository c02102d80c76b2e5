"""The supervisor's page in Chromium at 1280 and 360 px: cards, maps, charts, assessment,
the rectification queue; Chinese first; drawn offline from the vendored ECharts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.agents import Agent, AgentLevel
from dispatch.models.regions import Region
from dispatch.models.users import Role, Scope, User
from dispatch.services.ratings import record_rating
from dispatch.setup.demo import DEMO_TOWNSHIP
from tests.dispatch.supervision_data import deliver_case
from tests.web.conftest import login_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def bad_rating(web_app) -> int:
    """A delivered case of the demo township with a 差评 taken by call-back: one open 整改."""
    with web_app.app_context():
        s = db.session
        admin = s.scalar(select(User).where(User.username == "admin"))
        town = s.scalar(select(Region).where(Region.code == DEMO_TOWNSHIP))
        assert admin is not None and town is not None
        agent = s.scalar(
            select(Agent)
            .where(Agent.region_id == town.id, Agent.level == AgentLevel.VILLAGE)
            .order_by(Agent.id)
        )
        assert agent is not None
        village = agent.zone[0].code
        scope = Scope(admin.id, "admin", Role.ADMIN, "")
        s.remove()
    case_id = deliver_case(web_app, scope, village, agent.id)
    with web_app.app_context():
        rating = record_rating(db.session, scope, case_id, "very_dissatisfied", "callback")
        rect_id = rating.rectification.id
        db.session.remove()
    return rect_id


@pytest.mark.parametrize("width", [1280, 360])
def test_supervise_page(browser, server, bad_rating, width):
    """The city supervisor sees figures, two maps and two charts drawn, ten assessment units
    with their subsidy, and the open rectification with its deadlines; nothing overflows."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(server) else None,
    )
    page.goto(f"{server}/supervise")
    login_page(page, "supervisor", "super-demo-2026")
    page.wait_for_selector("#sv-queue tbody tr[data-rect]")
    page.wait_for_function("document.getElementById('sv-status').textContent.includes('数据截至')")
    assert "监督考核" in page.inner_text("header")
    cards = page.inner_text("#sv-cards")
    assert "按时办结率" in cards and "满意率" in cards and "差评" in cards
    for chart in ("sv-map-counties", "sv-map-townships", "sv-trend", "sv-ratings"):
        assert page.locator(f"#{chart} canvas").count() >= 1, chart
    assert page.evaluate("echarts.getMap('jy-counties').geoJSON.features.length") == 5
    units = page.locator("#sv-assessment tbody tr")
    assert units.count() == 10
    table = page.inner_text("#sv-assessment")
    assert "1,000,000" in table and "500,000" in table and "100,000" in table and "自筹" in table
    assert "空港经济区" in table and "大南海石化工业区" in table
    row = page.inner_text(f'#sv-queue tr[data-rect="{bad_rating}"]')
    assert "非常不满意" in row and "待核实" in row
    bars = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('sv-ratings')).getOption().xAxis[0].data"
    )
    assert bars == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert outside == [], outside
    context.close()
