"""Every role reads every endpoint: a whole personal value appears only where
dispatch.privacy.RULES allows it, and each one shown has its access record."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import uuid
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from dispatch.extensions import db
from dispatch.models.access import AccessRecord
from dispatch.models.agents import Agent
from dispatch.models.applicants import Applicant
from dispatch.models.users import Role
from dispatch.privacy import RULES, Display, Field
from dispatch.services.rights import ERASED_NAME

from .test_roles_matrix import TABLE, Row, _resolve

ROLE_OF = {
    "admin": Role.ADMIN,
    "supervisor": Role.SUPERVISOR,
    "county": Role.SUPERVISOR,
    "dispatcher": Role.DISPATCHER,
    "agent": Role.AGENT,
    "staff": Role.VILLAGE_STAFF,
}
Whose = tuple[str, int, str]  # subject kind, id, field
READS = [row for row in TABLE if row.method == "GET"]
# The point of every applicant the API tests make (conftest.applicant_body); the matrix puts
# a service centre there too, so it tells no one's home apart.
TEST_POINT = (116.3, 23.5)


def test_the_rule_covers_every_role_and_field():
    """The written table has a cell for each role and personal field."""
    assert set(RULES) == set(Role)
    assert all(set(cells) == set(Field) for cells in RULES.values())
    # The rule's own promises: agents call but need no ID number; supervisors see no one whole.
    assert RULES[Role.AGENT][Field.PHONE] is Display.WHOLE
    assert RULES[Role.AGENT][Field.ID_NUMBER] is not Display.WHOLE
    assert Display.WHOLE not in RULES[Role.SUPERVISOR].values()


@pytest.fixture(scope="module")
def known(app, world) -> dict[str, Any]:
    """Every whole personal value in the database, with whose it is."""
    texts: dict[str, set[Whose]] = defaultdict(set)
    points: dict[tuple[float, float], set[Whose]] = defaultdict(set)
    with app.app_context():
        # An erased applicant (services.rights) holds no one's data: nothing to find.
        for a in db.session.scalars(select(Applicant).where(Applicant.name != ERASED_NAME)):
            texts[a.id_number].add(("applicant", a.id, "id_number"))
            texts[a.phone].add(("applicant", a.id, "phone"))
            if len(a.address) >= 4:
                texts[a.address].add(("applicant", a.id, "address"))
            if (a.lon, a.lat) != TEST_POINT:
                points[(a.lon, a.lat)].add(("applicant", a.id, "home_point"))
        for g in db.session.scalars(select(Agent)):
            texts[g.phone].add(("agent", g.id, "phone"))
        db.session.remove()
    return {"texts": texts, "points": points}


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def shown_whole(body: Any, known: dict[str, Any]) -> list[set[Whose]]:
    """For each whole value in the body, the people (and field) it may belong to."""
    found = []
    for v in _walk(body):
        if isinstance(v, str) and v in known["texts"]:
            found.append(known["texts"][v])
        elif isinstance(v, dict) and (v.get("lon"), v.get("lat")) in known["points"]:
            found.append(known["points"][(v["lon"], v["lat"])])
        elif _pair(v) and tuple(v) in known["points"]:
            found.append(known["points"][tuple(v)])
    return found


def _body(resp: Any) -> Any:
    """JSON, or the text of a printed form (what a person reads on the page), or text."""
    if resp.is_json:
        return resp.get_json()
    if resp.mimetype == "application/pdf":
        if shutil.which("pdftotext") is None:
            pytest.skip("pdftotext (poppler-utils) is needed to read the forms: make browser-deps")
        out = subprocess.run(
            ["pdftotext", "-", "-"], input=resp.data, capture_output=True, check=True
        )
        return out.stdout.decode().split()
    return resp.get_data(as_text=True)


def _pair(v: Any) -> bool:
    return isinstance(v, list) and len(v) == 2 and all(isinstance(x, float) for x in v)


def _allowed(role: Role, whose: Whose) -> bool:
    return RULES[role][Field(f"{whose[0]}.{whose[2]}")] is Display.WHOLE


@pytest.mark.parametrize(
    ("row", "role"),
    list(itertools.product(READS, ROLE_OF)),
    ids=lambda v: v.id if isinstance(v, Row) else v,
)
def test_whole_values_only_where_the_rule_allows_and_recorded(
    client, app, tokens, world, known, row, role
):
    """The answer's whole personal values are allowed for the role, and each is recorded."""
    request_id = uuid.uuid4().hex
    headers = {"Authorization": f"Bearer {tokens[role]}", "X-Request-ID": request_id}
    resp = client.get(_resolve(row.path, world), headers=headers)
    body = _body(resp)
    found = shown_whole(body, known)
    if resp.status_code >= 400:
        assert not found
        return
    with app.app_context():
        records = db.session.scalars(
            select(AccessRecord).where(AccessRecord.request_id == request_id)
        ).all()
        db.session.remove()
    recorded = {(r.subject_kind, r.subject_id, f) for r in records for f in r.field_list}
    for candidates in found:
        # A value shared by several people (test applicants share a phone) is one of them.
        assert any(_allowed(ROLE_OF[role], w) for w in candidates), (row.id, role, candidates)
        assert candidates & recorded, (row.id, role, candidates, recorded)
    assert all(r.username == role and r.role == ROLE_OF[role].value for r in records)


def test_the_matrix_finds_whole_values(client, tokens, known):
    """The detector is not blind: the admin's applicant answer holds its whole values."""
    resp = client.get("/api/applicants/1", headers={"Authorization": f"Bearer {tokens['admin']}"})
    fields = {w[2] for candidates in shown_whole(resp.get_json(), known) for w in candidates}
    assert {"id_number", "phone", "home_point"} <= fields
