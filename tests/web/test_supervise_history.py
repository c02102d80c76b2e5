"""The supervisor's page on the demo as `make run` seeds it: with its history of delivered,
rated cases, the cards, both maps, the trend and the rating bars all carry figures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.applicants import Applicant
from dispatch.setup.demo_history import seed_history
from dispatch.workdays import cst_date
from tests.conftest import demo_app
from tests.web.conftest import live_server, login_page

pytestmark = pytest.mark.browser
# A township in each of three counties, so the county map has more than one shade.
TOWNS = {"445203103000", "445222102000", "445281103000"}


@pytest.fixture(scope="module")
def history_app(tmp_path_factory: pytest.TempPathFactory, divisions_dir: Path) -> Flask:
    url = f"sqlite:///{tmp_path_factory.mktemp('historydb') / 'history.sqlite3'}"
    app = demo_app(url, divisions_dir, seed=7, only=TOWNS, MAP_TILE_URL="")
    with app.app_context():
        seed_history(db.session, seed=7, working_days=70, rate=0.5)
        db.session.remove()
    return app


@pytest.fixture(scope="module")
def history_server(history_app: Flask) -> Iterator[str]:
    yield from live_server(history_app)


def _last_month() -> str:
    first = cst_date(datetime.now(UTC)).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def _option(page, chart: str, js: str):
    return page.evaluate(
        f"(() => {{ const o = echarts.getInstanceByDom(document.getElementById('{chart}'))"
        f".getOption(); return {js}; }})()"
    )


@pytest.mark.parametrize("width", [1280, 360])
def test_the_demo_charts_are_not_empty(browser, history_server, width):
    """Last month and the months before it have delivered and rated cases: the cards count
    them, the maps shade counties and townships, the trend has points, the bars have heights;
    nothing overflows. Last month is shown: a full month of the history, whatever today is."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{history_server}/supervise?month={_last_month()}")
    login_page(page, "supervisor", "super-demo-2026")
    page.wait_for_function("document.getElementById('sv-status').textContent.includes('数据截至')")
    cards = dict(
        zip(
            page.locator("#sv-cards .sv-card").evaluate_all(
                "cs => cs.map(c => c.lastChild.textContent)"
            ),
            page.locator("#sv-cards .sv-card b").all_inner_texts(),
            strict=True,
        )
    )
    assert int(cards["已送达"]) > 0 and int(cards["评价数"]) > 0, cards
    assert cards["按时办结率"].endswith("%") and cards["满意率"].endswith("%"), cards
    bars = _option(page, "sv-ratings", "o.series[0].data.map(d => d.value)")
    assert sum(bars) > 0 and bars[0] > 0, bars
    counties = _option(page, "sv-map-counties", "o.series[0].data.map(d => [d.name, d.value])")
    shaded = {name for name, value in counties if value is not None}
    assert shaded == {"揭东区", "揭西县", "普宁市"}, counties
    towns = _option(page, "sv-map-townships", "o.series[0].data.filter(d => d.value != null)")
    assert len(towns) == 3, towns
    trend = _option(page, "sv-trend", "o.series.map(s => s.data)")
    on_time, satisfied = trend
    assert sum(v is not None for v in on_time) >= 3, trend
    assert sum(v is not None for v in satisfied) >= 3, trend
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()


def test_the_public_results_page(browser, history_server, history_app):
    """/results, with no login: last month's counties and townships with their counts and
    rates, Chinese first; no villager's name or phone anywhere on it."""
    page = browser.new_context(viewport={"width": 360, "height": 800}).new_page()
    page.goto(f"{history_server}/results")
    page.wait_for_selector("#rs-counties tbody tr[data-code]")
    assert page.input_value("#rs-month") == _last_month()
    assert "好差评月度结果公示" in page.inner_text("header")
    counties = page.locator("#rs-counties tbody tr[data-code]")
    assert counties.count() == 5
    rated = [row for row in counties.all_inner_texts() if "%" in row]
    assert len(rated) == 3, rated
    assert page.locator("#rs-townships tbody tr[data-code]").count() == 3
    text = page.inner_text("main")
    with history_app.app_context():
        people = db.session.scalars(select(Applicant)).all()
        names, phones = {a.name for a in people}, {a.phone for a in people}
        db.session.remove()
    assert not any(n in text for n in names) and not any(p in text for p in phones)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
