"""The construction register: seeded incomplete by the demo, kept by county staff, scoped."""

from __future__ import annotations

from datetime import date, timedelta

from dispatch.setup.demo import DEMO_TOWNSHIP

from .conftest import OTHER_COUNTY_TOWNSHIP


def test_demo_register_is_seeded_and_incomplete(client, auth):
    """Every village of the township has its nine items and the township its two; the demo
    leaves some undone somewhere among the seeded townships, with dates in the past."""
    body = client.get(f"/api/register/?township={DEMO_TOWNSHIP}", headers=auth("county"))
    assert body.status_code == 200, body.get_json()
    reg = body.get_json()
    assert [i["item"] for i in reg["township"]["items"]] == ["service_car", "agents"]
    assert reg["villages"] and all(len(v["items"]) == 9 for v in reg["villages"])
    assert reg["villages"][0]["items"][4]["zh"] == "拍摄仪"
    dates = [
        date.fromisoformat(i["completed_on"])
        for p in [reg["township"], *reg["villages"]]
        for i in p["items"]
        if i["completed_on"]
    ]
    assert dates and max(dates) < date.today()
    missing = [
        v
        for t in (DEMO_TOWNSHIP, "445203102000", OTHER_COUNTY_TOWNSHIP)
        for v in client.get(f"/api/register/?township={t}", headers=auth("supervisor")).get_json()[
            "villages"
        ]
        if v["missing"]
    ]
    assert missing, "the demo register is seeded incomplete"


def put_item(client, headers, path, body):
    """A PUT as a client does it: GET the item's ETag, send it in If-Match."""
    etag = client.get(path, headers=headers).headers.get("ETag", '"none"')
    return client.put(path, json=body, headers=headers | {"If-Match": etag})


def test_county_staff_record_an_item(app, client, auth):
    """A county supervisor records a touch screen done; who and when are kept; clearing it
    makes it missing again; other roles may not write; a future date is a 422."""
    county = auth("county")
    reg = client.get(f"/api/register/?township={DEMO_TOWNSHIP}", headers=county).get_json()
    village = reg["villages"][0]["code"]
    path = f"/api/register/{village}/touch_screen"
    on = (date.today() - timedelta(days=3)).isoformat()
    put = put_item(client, county, path, {"completed_on": on, "note": "已安装"})
    assert put.status_code == 200, put.get_json()
    item = put.get_json()["item"]
    assert item["completed_on"] == on and item["updated_by_id"] and item["updated_at"]
    again = client.get(f"/api/register/?township={DEMO_TOWNSHIP}", headers=county).get_json()
    row = next(v for v in again["villages"] if v["code"] == village)
    assert "touch_screen" not in row["missing"]
    cleared = put_item(client, county, path, {"completed_on": None}).get_json()
    assert "touch_screen" in cleared["missing"]
    for who in ("dispatcher", "supervisor", "agent", "staff"):
        assert put_item(client, auth(who), path, {"completed_on": on}).status_code == 403
    future = (date.today() + timedelta(days=2)).isoformat()
    late = put_item(client, county, path, {"completed_on": future})
    assert late.status_code == 422 and "future" in late.get_json()["message"]
    wrong = put_item(client, county, f"/api/register/{village}/service_car", {"completed_on": on})
    assert wrong.status_code == 422


def test_other_county_is_out_of_reach(client, auth):
    """揭东区's county staff neither read nor write 揭西县's register; the city reads both."""
    county = auth("county")
    assert (
        client.get(f"/api/register/?township={OTHER_COUNTY_TOWNSHIP}", headers=county).status_code
        == 404
    )
    put = put_item(
        client,
        county,
        f"/api/register/{OTHER_COUNTY_TOWNSHIP}/service_car",
        {"completed_on": "2026-06-01"},
    )
    assert put.status_code == 404
    city = client.get(
        f"/api/register/?township={OTHER_COUNTY_TOWNSHIP}", headers=auth("supervisor")
    )
    assert city.status_code == 200


def test_a_stale_write_is_refused(client, auth):
    """Two county clerks read the same item; the first write lands, the second, sent with the
    ETag it read before, is a 412 that says to read again, and changes nothing; no If-Match is
    a 428; after a fresh GET the second clerk's write lands. Another item of the same room
    keeps its ETag meanwhile."""
    county = auth("county")
    reg = client.get(f"/api/register/?township={DEMO_TOWNSHIP}", headers=county).get_json()
    village = reg["villages"][1]["code"]
    path = f"/api/register/{village}/scanner"
    other = f"/api/register/{village}/printer"
    other_etag = client.get(other, headers=county).headers["ETag"]
    read = client.get(path, headers=county)
    assert read.status_code == 200 and read.get_json()["item"]["item"] == "scanner"
    etag = read.headers["ETag"]
    first_day, second_day = (date.today() - timedelta(days=n) for n in (5, 9))
    first = client.put(
        path,
        json={"completed_on": first_day.isoformat(), "note": "甲录入"},
        headers=county | {"If-Match": etag},
    )
    assert first.status_code == 200, first.get_json()
    assert first.headers["ETag"] != etag
    assert first.headers["ETag"] == client.get(path, headers=county).headers["ETag"]
    stale = client.put(
        path,
        json={"completed_on": second_day.isoformat(), "note": "乙录入"},
        headers=county | {"If-Match": etag},
    )
    assert stale.status_code == 412
    assert "已被他人修改" in stale.get_json()["message"]
    assert "GET it again" in stale.get_json()["message"]
    now = client.get(path, headers=county).get_json()["item"]
    assert now["completed_on"] == first_day.isoformat() and now["note"] == "甲录入"
    bare = client.put(path, json={"completed_on": None}, headers=county)
    assert bare.status_code == 428 and "If-Match" in bare.get_json()["message"]
    assert client.get(other, headers=county).headers["ETag"] == other_etag
    retry = put_item(
        client, county, path, {"completed_on": second_day.isoformat(), "note": "乙录入"}
    )
    assert retry.status_code == 200
    assert retry.get_json()["item"]["completed_on"] == second_day.isoformat()
