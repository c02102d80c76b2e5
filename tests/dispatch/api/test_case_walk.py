"""A case from registration to closing, with custody hand-overs and If-Match on every move."""

from __future__ import annotations

from .conftest import SIGNATURE, applicant_body


def _etag(client, headers, case_id: int) -> str:
    resp = client.get(f"/api/cases/{case_id}", headers=headers)
    assert resp.status_code == 200
    return resp.headers["ETag"]


def _move(client, headers, case_id: int, to: str, **extra):
    h = headers | {"If-Match": _etag(client, headers, case_id)}
    return client.post(f"/api/cases/{case_id}/transitions", json={"to": to, **extra}, headers=h)


def _hand(client, headers, case_id: int, kind: str, ref: int):
    return client.post(
        f"/api/cases/{case_id}/custody",
        json={"to_kind": kind, "to_id": ref, "lon": 116.3, "lat": 23.5},
        headers=headers,
    )


def _centre(client, headers, kind: str, region: str) -> int:
    rows = client.get(f"/api/centres/?kind={kind}&region={region}", headers=headers).get_json()
    return rows[0]["id"]


def test_walk_through_every_status(client, auth, world):
    """Registered to closed, the holder always known, each hand-over with a receipt."""
    staff, disp = auth("staff"), auth("dispatcher")
    applicant = client.post(
        "/api/applicants/", json=applicant_body(world.home.village), headers=staff
    ).get_json()
    case = client.post(
        "/api/cases/",
        headers=staff,
        json={"applicant_id": applicant["id"], "item_code": "DEMO-GA-001", "channel": "agent"},
    )
    assert case.status_code == 201
    cid = case.get_json()["id"]
    illegal = _move(client, disp, cid, "decided")
    assert illegal.status_code == 409
    assert illegal.get_json()["allowed"] == ["materials_checked", "returned", "cancelled"]
    assert _move(client, disp, cid, "materials_checked").status_code == 200
    # The villager signs the entrustment at the room before an agent takes anything.
    entrusted = client.post(
        f"/api/cases/{cid}/entrustment",
        headers=staff,
        json={
            "agent_id": world.home.agent,
            "materials": ["居民身份证", "户口簿"],
            "valid_until": "2099-12-31",
            "captured_at": "village_room",
            "signature_png": SIGNATURE,
        },
    )
    assert entrusted.status_code == 201, entrusted.get_json()
    township = _centre(client, disp, "township", "445203103000")
    county = _centre(client, disp, "county", "445203000000")
    steps = [
        ("agent", world.home.agent, "with_agent"),
        ("centre", township, "at_township"),
        ("centre", county, "at_county"),
    ]
    for kind, ref, status in steps:
        resp = _hand(client, disp, cid, kind, ref)
        assert resp.status_code == 201, resp.get_json()
        assert resp.get_json()["receipt_no"].startswith("JJ")
        body = client.get(f"/api/cases/{cid}", headers=disp).get_json()
        assert (body["status"], body["holder_kind"], body["holder_id"]) == (status, kind, ref)
    assert _move(client, disp, cid, "decided").status_code == 200
    assert _hand(client, disp, cid, "agent", world.home.agent).status_code == 201
    assert _hand(client, disp, cid, "applicant", applicant["id"]).status_code == 201
    done = _move(client, disp, cid, "closed").get_json()
    assert done["status"] == "closed"
    assert [h["to_status"] for h in done["history"]] == [
        "registered",
        "materials_checked",
        "with_agent",
        "at_township",
        "at_county",
        "decided",
        "returning",
        "delivered",
        "closed",
    ]
    assert [c["seq"] for c in done["custody"]] == [1, 2, 3, 4, 5]
    assert _move(client, disp, cid, "registered").get_json()["allowed"] == []


def test_return_writes_one_time_notice(client, auth, world):
    """A return must name missing materials from the item's list, and writes the notice."""
    disp = auth("dispatcher")
    cid = world.case(world.home)
    assert _move(client, disp, cid, "returned").status_code == 422
    resp = _move(client, disp, cid, "returned", missing=["户口簿"])
    assert resp.status_code == 200
    assert "户口簿" in resp.get_json()["missing_notice"]


def test_transition_needs_if_match(client, auth, world):
    """No If-Match is a 428, a stale one a 412; neither moves the case."""
    disp = auth("dispatcher")
    cid = world.case(world.home)
    url = f"/api/cases/{cid}/transitions"
    assert client.post(url, json={"to": "materials_checked"}, headers=disp).status_code == 428
    stale = disp | {"If-Match": '"0123456789abcdef"'}
    assert client.post(url, json={"to": "materials_checked"}, headers=stale).status_code == 412
    assert client.get(f"/api/cases/{cid}", headers=disp).get_json()["status"] == "registered"


def test_etag_changes_after_a_move(client, auth, world):
    """The ETag a move returns is the case's new one; the old one is stale after it."""
    disp = auth("dispatcher")
    cid = world.case(world.home)
    old = _etag(client, disp, cid)
    resp = _move(client, disp, cid, "materials_checked")
    assert resp.headers["ETag"] == _etag(client, disp, cid) != old
    again = client.post(
        f"/api/cases/{cid}/transitions",
        json={"to": "at_township"},
        headers=disp | {"If-Match": old},
    )
    assert again.status_code == 412


def test_patch_needs_if_match(client, auth, world):
    """Applicant updates carry If-Match: missing is 428, stale 412, current 200."""
    staff = auth("staff")
    url = f"/api/applicants/{world.applicant(world.home.village)}"
    assert client.patch(url, json={"address": "x"}, headers=staff).status_code == 428
    stale = staff | {"If-Match": '"stale"'}
    assert client.patch(url, json={"address": "x"}, headers=stale).status_code == 412
    tag = client.get(url, headers=staff).headers["ETag"]
    resp = client.patch(url, json={"address": "新地址"}, headers=staff | {"If-Match": tag})
    assert resp.status_code == 200 and resp.get_json()["address"] == "新地址"
