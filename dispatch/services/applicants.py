"""Applicants (villagers): registered by staff, dispatchers and agents inside their region."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select

from dispatch.crypto import id_number_index
from dispatch.errors import Conflict, Invalid
from dispatch.models.agents import agent_zone
from dispatch.models.applicants import Applicant
from dispatch.models.cases import Case
from dispatch.models.regions import Level, Region
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope
from dispatch.privacy import applicant_shown
from dispatch.services.access_records import note_answer
from dispatch.services.cases import scoped_cases
from dispatch.services.scoping import field_region, in_region, one_or_404


def zone_village_ids(agent_id: int | None) -> Select[Any]:
    return select(agent_zone.c.village_id).where(agent_zone.c.agent_id == agent_id)


def scoped_applicants(scope: Scope) -> Select[Any]:
    """Applicants in the caller's region; an agent's are those of their zone and cases."""
    stmt = select(Applicant).join(Applicant.village)
    if scope.role == Role.AGENT:
        return stmt.where(
            or_(
                Applicant.village_id.in_(zone_village_ids(scope.agent_id)),
                Applicant.id.in_(_case_applicants(scope)),
            )
        )
    return stmt.where(in_region(scope))


def _case_applicants(scope: Scope) -> Select[Any]:
    # Both queries join regions; without correlate(None) the inner one would borrow the outer's.
    return scoped_cases(scope).with_only_columns(Case.applicant_id).correlate(None)


def list_applicants(
    scope: Scope, village: str | None = None, vulnerable: bool | None = None, q: str | None = None
) -> Select[Any]:
    stmt = scoped_applicants(scope)
    if village:
        stmt = stmt.where(Region.code == village)
    if vulnerable is not None:
        stmt = stmt.where(Applicant.vulnerable == vulnerable)
    if q:
        stmt = stmt.where(Applicant.name.contains(q))
    return stmt.order_by(Applicant.id)


def get_applicant(session: DbSession, scope: Scope, applicant_id: int) -> Applicant:
    stmt = scoped_applicants(scope).where(Applicant.id == applicant_id)
    return one_or_404(session, stmt, "申请人 applicant", applicant_id)  # type: ignore[no-any-return]


def _village(session: DbSession, scope: Scope, code: str) -> Region:
    village = field_region(session, scope, code, "village", {Level.VILLAGE})
    if scope.role == Role.AGENT and village.id not in set(
        session.scalars(zone_village_ids(scope.agent_id))
    ):
        raise Invalid(
            "不在您的片区 / Outside your zone", {"village": [f"{code} is not in your zone"]}
        )
    return village


def _unique_id_number(session: DbSession, id_number: str, own_id: int | None = None) -> None:
    index = id_number_index(id_number)
    other = session.scalar(select(Applicant.id).where(Applicant.id_number_index == index))
    if other is not None and other != own_id:
        raise Conflict(
            "身份证号已登记 / This ID number is already registered",
            {"id_number": ["already registered to another applicant"]},
        )


def create_applicant(
    session: DbSession, scope: Scope, village: str, id_number: str, **fields: Any
) -> Applicant:
    place = _village(session, scope, village)
    id_number = id_number.upper()
    _unique_id_number(session, id_number)
    applicant = Applicant(village_id=place.id, id_number=id_number, **fields)
    session.add(applicant)
    note_answer(session, scope, applicant_shown, applicant)
    session.commit()
    return applicant


def update_applicant(
    session: DbSession, scope: Scope, applicant: Applicant, **fields: Any
) -> Applicant:
    apply_update(session, scope, applicant, **fields)
    note_answer(session, scope, applicant_shown, applicant)
    session.commit()
    return applicant


def apply_update(session: DbSession, scope: Scope, applicant: Applicant, **fields: Any) -> None:
    """Change an applicant's details in the session; the caller commits."""
    if "village" in fields:
        applicant.village_id = _village(session, scope, fields.pop("village")).id
    if "id_number" in fields:
        fields["id_number"] = fields["id_number"].upper()
        _unique_id_number(session, fields["id_number"], applicant.id)
    for key, value in fields.items():
        setattr(applicant, key, value)
