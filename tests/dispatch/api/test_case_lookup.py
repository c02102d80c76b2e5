"""A case found by the reference printed on its forms, only inside the caller's region."""

from __future__ import annotations

from .conftest import World


def _reference(client, auth, cid: int) -> str:
    return client.get(f"/api/cases/{cid}", headers=auth("admin")).get_json()["reference"]


def test_reference_finds_one_case_in_scope(client, auth, world: World):
    """Exact reference (any case of letters): that case; another county's case: none."""
    ref = _reference(client, auth, world.home.case)
    for asked in (ref, ref.lower()):
        rows = client.get(f"/api/cases/?reference={asked}", headers=auth("dispatcher")).get_json()
        assert [r["id"] for r in rows] == [world.home.case]
    away = _reference(client, auth, world.away.case)
    outside = client.get(f"/api/cases/?reference={away}", headers=auth("dispatcher"))
    assert outside.status_code == 200 and outside.get_json() == []
    bad = client.get("/api/cases/?reference=" + "X" * 41, headers=auth("dispatcher"))
    assert bad.status_code == 422 and "reference" in bad.get_json()["errors"]["query"]
