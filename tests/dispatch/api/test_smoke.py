"""The first walk through the API: login, scope, a case through its statuses."""

from __future__ import annotations


def test_login_rejects_wrong_password(client):
    """A wrong password is a 401 with the error body, and no token."""
    resp = client.post("/api/auth/login", json={"username": "admin", "password": "nope-nope"})
    assert resp.status_code == 401
    body = resp.get_json()
    assert body["code"] == 401 and "access_token" not in body


def test_requests_without_token_are_refused(client):
    """Every API path but login and the spec needs a bearer token."""
    assert client.get("/api/cases/").status_code == 401
    assert client.get("/api/openapi.json").status_code == 200


def test_dispatcher_sees_only_own_township(client, auth):
    """A township dispatcher's case list holds only that township's villages."""
    resp = client.get("/api/cases/?page_size=100", headers=auth("dispatcher"))
    assert resp.status_code == 200
    codes = {c["village_code"][:9] for c in resp.get_json()}
    assert codes == {"445203103"}
