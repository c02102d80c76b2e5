"""Documents stay on their case's relay, and the status follows whoever holds them."""

from __future__ import annotations

import pytest

from .conftest import World


def _etag(client, headers, url: str) -> str:
    return client.get(url, headers=headers).headers["ETag"]


def _checked_case(client, headers, world: World, item: str = "DEMO-GA-001") -> str:
    """A new case of the home township, materials checked, held by its applicant."""
    cid = world.case(world.home, item)
    url = f"/api/cases/{cid}"
    h = headers | {"If-Match": _etag(client, headers, url)}
    resp = client.post(f"{url}/transitions", json={"to": "materials_checked"}, headers=h)
    assert resp.status_code == 200, resp.get_json()
    return url


def _hand(client, headers, url: str, kind: str, ref: int):
    return client.post(f"{url}/custody", json={"to_kind": kind, "to_id": ref}, headers=headers)


def _centre(client, headers, kind: str, region: str) -> int:
    rows = client.get(f"/api/centres/?kind={kind}&region={region}", headers=headers).get_json()
    return int(rows[0]["id"])


def _state(client, headers, url: str) -> tuple[str, str, int]:
    body = client.get(url, headers=headers).get_json()
    return body["status"], body["holder_kind"], body["holder_id"]


@pytest.mark.parametrize("receiver", ["agent", "township centre", "county centre"])
def test_no_hand_over_to_another_county(client, auth, world: World, receiver):
    """Staff cannot hand their case to an agent or centre of another county: 422 on to_id."""
    staff, admin = auth("staff"), auth("admin")
    url = _checked_case(client, admin, world)
    ref = {
        "agent": world.away.agent,
        "township centre": world.away.centre,
        "county centre": _centre(client, admin, "county", "445222000000"),
    }[receiver]
    before = _state(client, admin, url)
    resp = _hand(client, staff, url, "agent" if receiver == "agent" else "centre", ref)
    assert resp.status_code == 422, resp.get_json()
    assert "to_id" in resp.get_json()["errors"]
    assert _state(client, admin, url) == before


def test_a_centre_holds_only_in_its_status(client, auth, world: World):
    """An agent's case goes to the township centre first: straight to the county is a 422,
    and the case stays with_agent in the agent's hands."""
    disp = auth("dispatcher")
    url = _checked_case(client, disp, world)
    assert _hand(client, disp, url, "agent", world.home.agent).status_code == 201
    county = _centre(client, disp, "county", "445203000000")
    resp = _hand(client, disp, url, "centre", county)
    assert resp.status_code == 422 and "to_id" in resp.get_json()["errors"]
    assert _state(client, disp, url) == ("with_agent", "agent", world.home.agent)
    township = _centre(client, disp, "township", "445203103000")
    assert _hand(client, disp, url, "centre", township).status_code == 201
    assert _state(client, disp, url) == ("at_township", "centre", township)


def test_a_township_item_never_goes_to_the_county(client, auth, world: World):
    """A township-decided item's relay ends at the township: the county centre is refused."""
    disp = auth("dispatcher")
    url = _checked_case(client, disp, world, item="DEMO-YB-001")
    township = _centre(client, disp, "township", "445203103000")
    assert _hand(client, disp, url, "centre", township).status_code == 201
    county = _centre(client, disp, "county", "445203000000")
    resp = _hand(client, disp, url, "centre", county)
    assert resp.status_code == 422 and "to_id" in resp.get_json()["errors"]
