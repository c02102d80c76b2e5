"""Property-based calls to every operation in the OpenAPI spec, as an authenticated admin."""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import update

from dispatch import create_app
from dispatch.extensions import db
from dispatch.models.users import User
from dispatch.services import auth

from .test_roles_matrix import PASSWORDS

# The spec needs no database, so it is read from an app of its own at import time; the calls
# go to the migrated, seeded ``app`` fixture. (schemathesis.pytest.from_fixture would be the
# natural fit, but its lazy loader reads ``node._nodeid``, which pytest 9 no longer has.)
schema = schemathesis.openapi.from_wsgi(
    "/api/openapi.json", create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
)


@pytest.fixture(scope="module", autouse=True)
def _reactivate_users(app):
    """Generated calls may switch demo accounts off; the suites after this need them."""
    yield
    with app.app_context():
        db.session.execute(update(User).values(active=True))
        db.session.commit()
        db.session.remove()


def _admin_token(client, tokens, case) -> str:
    """Logging out revokes the token it is sent with, so logout gets a token of its own."""
    if case.operation.path != "/api/auth/logout":
        return tokens["admin"]
    login = {"username": "admin", "password": PASSWORDS["admin"]}
    return client.post("/api/auth/login", json=login).get_json()["access_token"]


def _spare_demo_accounts(app, case) -> None:
    """Deactivation gets a throwaway account, so no demo login is switched off under a
    concurrent test run that shares the database."""
    if case.method.upper() == "DELETE" and case.operation.path == "/api/users/{user_id}":
        with app.app_context():
            user = auth.create_user(db.session, f"spare{uuid.uuid4().hex[:12]}",
                                    "spare-pass-123", "admin")
            case.path_parameters = {"user_id": user.id}
            db.session.remove()


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_error_and_responses_match_schema(case, app, client, tokens):
    """No 5xx, and every answer matches the schema documented for its status."""
    token = _admin_token(client, tokens, case)
    _spare_demo_accounts(app, case)
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"},
                           checks=[not_a_server_error, response_schema_conformance])
