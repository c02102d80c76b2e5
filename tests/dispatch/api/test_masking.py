"""Resident ID numbers and phones are masked for the roles that do not need them whole."""

from __future__ import annotations

import re

import pytest

MASKED_ID = re.compile(r"^\d{4}\*{10}[\dX]{4}$")
MASKED_PHONE = re.compile(r"^1\d{2}\*{4}\d{4}$")


@pytest.mark.parametrize(
    ("role", "id_whole", "phone_whole"),
    [
        ("admin", True, True),
        ("staff", True, True),
        ("dispatcher", False, True),
        ("agent", False, True),
        ("supervisor", False, False),
        ("county", False, False),
    ],
)
def test_applicant_masking_by_role(client, auth, world, role, id_whole, phone_whole):
    """Each role sees the ID number and phone whole or masked, as dispatch.privacy says."""
    whole = client.get(f"/api/applicants/{world.home.applicant}", headers=auth("admin"))
    seen = client.get(f"/api/applicants/{world.home.applicant}", headers=auth(role))
    full, got = whole.get_json(), seen.get_json()
    assert got["id_number"] == full["id_number"] if id_whole else MASKED_ID.match(got["id_number"])
    assert got["phone"] == full["phone"] if phone_whole else MASKED_PHONE.match(got["phone"])
    if not id_whole:
        assert got["id_number"][:4] == full["id_number"][:4]
        assert got["id_number"][-4:] == full["id_number"][-4:]


def test_supervisor_list_is_masked(client, auth):
    """A supervisor's applicant list never holds a whole ID number or phone."""
    rows = client.get("/api/applicants/?page_size=50", headers=auth("supervisor")).get_json()
    assert rows
    assert all(MASKED_ID.match(r["id_number"]) and MASKED_PHONE.match(r["phone"]) for r in rows)


def test_agent_phone_masked_for_supervisor(client, auth, world):
    """An agent's phone is masked for a supervisor, whole for the dispatcher."""
    url = f"/api/agents/{world.home.agent}"
    assert MASKED_PHONE.match(client.get(url, headers=auth("supervisor")).get_json()["phone"])
    assert "*" not in client.get(url, headers=auth("dispatcher")).get_json()["phone"]
