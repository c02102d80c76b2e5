"""The assessment: every unit with its tier, and a subsidy decision that follows the register."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.regions import Level, Region
from dispatch.models.register import TOWNSHIP_ITEMS, VILLAGE_ITEMS, RegisterEntry

UNITS = {
    "榕城区": 1000000,
    "揭东区": 1000000,
    "揭西县": 1000000,
    "惠来县": 1000000,
    "普宁市": None,
    "空港经济区": 500000,
    "蓝城区": 500000,
    "大南山侨区": 100000,
    "普侨区": 100000,
    "大南海石化工业区": 100000,
}


def _complete(app, code: str) -> None:
    """Every item of the township and its villages done (set-up, as county staff would)."""
    on = date.today() - timedelta(days=10)
    with app.app_context():
        s = db.session
        places = s.scalars(
            select(Region).where(Region.code.like(f"{code[:9]}%"), Region.level != Level.COUNTY)
        ).all()
        for place in places:
            items = TOWNSHIP_ITEMS if place.level == Level.TOWNSHIP else VILLAGE_ITEMS
            got = {
                e.item: e
                for e in s.scalars(select(RegisterEntry).where(RegisterEntry.region_id == place.id))
            }
            for key, _zh, _en in items:
                entry = got.get(key) or RegisterEntry(region_id=place.id, item=key)
                entry.completed_on = on
                s.add(entry)
        s.commit()
        s.remove()


def test_city_sees_every_unit_with_its_tier(client, auth):
    """Ten units, tiers as configured (marked demo); a unit qualifies exactly when its register
    is complete at the deadline, and then earns its tier; the breakdown names what is missing."""
    body = client.get("/api/assessment?year=2026", headers=auth("supervisor")).get_json()
    assert body["demo"] is True and body["deadline"] == "2026-12-31"
    got = {u["name"]: u for u in body["units"]}
    assert {n: u["subsidy_tier"] for n, u in got.items()} == UNITS
    for u in body["units"]:
        assert u["qualifies"] == u["construction"]["complete"]
        assert u["qualifies"] == (not u["missing"])
        want = u["subsidy_tier"] if u["qualifies"] and u["subsidy_tier"] else 0
        assert u["subsidy_amount"] == want
    assert body["subsidy_total"] == sum(u["subsidy_amount"] for u in body["units"])
    assert got["普宁市"]["subsidy_amount"] == 0 and "自筹" in got["普宁市"]["subsidy_note"]
    # Zones take their townships from their county.
    assert "445202102000" in got["空港经济区"]["townships"]
    assert "445202102000" not in got["榕城区"]["townships"]


def test_completing_the_register_earns_the_subsidy(app, client, auth):
    """揭东区 with all its (non-zone) townships complete qualifies for 1,000,000; one item
    undone in one village takes it away again, and that village is listed."""
    county = auth("county")
    before = client.get("/api/assessment?year=2026", headers=county).get_json()
    jiedong = next(u for u in before["units"] if u["name"] == "揭东区")
    for code in jiedong["townships"]:
        _complete(app, code)
    after = client.get("/api/assessment?year=2026", headers=county).get_json()
    unit = next(u for u in after["units"] if u["name"] == "揭东区")
    assert unit["qualifies"] and unit["subsidy_amount"] == 1000000 and unit["missing"] == []
    assert unit["construction"]["share"] == 1.0 and unit["score"] is not None
    village = client.get("/api/register/?township=445203103000", headers=county).get_json()[
        "villages"
    ][0]["code"]
    path = f"/api/register/{village}/printer"
    etag = client.get(path, headers=county).headers["ETag"]
    put = client.put(path, json={"completed_on": None}, headers=county | {"If-Match": etag})
    assert put.status_code == 200
    again = client.get("/api/assessment?year=2026", headers=county).get_json()
    unit = next(u for u in again["units"] if u["name"] == "揭东区")
    assert not unit["qualifies"] and unit["subsidy_amount"] == 0
    assert unit["missing"] == [
        {
            "code": village,
            "name": unit["missing"][0]["name"],
            "level": "village",
            "missing": ["printer"],
            "missing_zh": ["打印复印一体机"],
        }
    ]


def test_a_county_sees_itself_and_its_zones(client, auth):
    """揭东区's supervisor sees 揭东区 and 蓝城区 (its townships), not 揭西县; below is 403."""
    names = {
        u["name"]
        for u in client.get("/api/assessment?year=2026", headers=auth("county")).get_json()["units"]
    }
    assert names == {"揭东区", "蓝城区"}
    for who in ("dispatcher", "agent", "staff"):
        assert client.get("/api/assessment?year=2026", headers=auth(who)).status_code == 403
    assert client.get("/api/assessment?year=1999", headers=auth("county")).status_code == 422


def test_every_unit_says_where_its_tier_comes_from(client, auth):
    """Each unit carries its basis; the guesses (the zones' townships, 普宁市 as the
    self-funded 省直管县) are marked unconfirmed, the counties' plain tier is confirmed."""
    units = client.get("/api/assessment?year=2026", headers=auth("supervisor")).get_json()["units"]
    assert all(u["basis"] for u in units)
    unconfirmed = {u["name"] for u in units if not u["confirmed"]}
    assert unconfirmed == {
        "普宁市",
        "空港经济区",
        "蓝城区",
        "大南山侨区",
        "普侨区",
        "大南海石化工业区",
    }
    assert all("UNCONFIRMED" in u["basis"] for u in units if not u["confirmed"])
