"""The pages shift map overlays to GCJ-02 with the vendored gcoord, as the server does with
prcoords: the two libraries agree on Jieyang's points to well under a metre."""

from __future__ import annotations

import math

import prcoords
import pytest

POINTS = [
    (116.3729, 23.5499),  # 榕城
    (116.4197, 23.5664),  # 揭东
    (116.1650, 23.4365),  # 普宁
    (115.8426, 23.4309),  # 揭西
    (116.3556, 22.9741),  # 惠来
]


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = (a[1] - b[1]) * 111_320
    dlon = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    return math.hypot(dlat, dlon)


@pytest.fixture()
def page(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server}/book")
    page.wait_for_function("() => window.Daiban && window.gcoord")
    yield page
    context.close()


@pytest.mark.parametrize(("lon", "lat"), POINTS)
def test_the_page_and_the_server_shift_a_point_alike(page, lon, lat):
    """Daiban.wgsToGcj (gcoord in the browser) lands within 0.5 m of prcoords, and the shift
    itself is the few hundred metres GCJ-02 has in Guangdong."""
    glon, glat = page.evaluate("([lon, lat]) => Daiban.wgsToGcj(lon, lat)", [lon, lat])
    server = prcoords.wgs_gcj((lat, lon))
    assert _metres((glon, glat), (server.lon, server.lat)) < 0.5
    assert 100 < _metres((glon, glat), (lon, lat)) < 1000


def test_outside_china_is_not_shifted(page):
    """GCJ-02 applies inside China only: a point in Tokyo stays where it is."""
    assert page.evaluate("() => Daiban.wgsToGcj(139.69, 35.69)") == [139.69, 35.69]
