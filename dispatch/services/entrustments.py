"""The entrustment (代办委托书): capture it, find the one in force, require it for custody."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from dispatch.errors import Conflict, Forbidden, Invalid, NotFound
from dispatch.models.agents import Agent
from dispatch.models.cases import OPEN, Case, Channel
from dispatch.models.entrustments import CapturedAt, Covers, Entrustment
from dispatch.models.regions import township_code
from dispatch.models.session import DbSession
from dispatch.models.users import Role, Scope
from dispatch.services.images import keep
from dispatch.workdays import cst_date

# The villager's staff and the agent record it; supervisors read.
RECORDERS = {Role.ADMIN, Role.DISPATCHER, Role.VILLAGE_STAFF, Role.AGENT}
# The villager revokes through village staff (or the township's dispatcher), never the agent.
REVOKERS = {Role.ADMIN, Role.DISPATCHER, Role.VILLAGE_STAFF}


def latest(session: DbSession, case: Case) -> Entrustment | None:
    """The case's newest entrustment, in force or not."""
    return session.scalar(
        select(Entrustment).where(Entrustment.case_id == case.id).order_by(Entrustment.id.desc())
    )


def get_entrustment(session: DbSession, case: Case) -> Entrustment:
    found = latest(session, case)
    if found is None:
        raise NotFound(
            f"代办件 {case.reference} 没有委托书 / Case {case.reference} has no entrustment: "
            f"capture one with POST /api/cases/{case.id}/entrustment"
        )
    return found


def require_entrustment(
    session: DbSession, case: Case, today: date, agent_id: int | None = None
) -> Entrustment:
    """The entrustment in force, and when ``agent_id`` is given one that entrusts that agent
    (by name, or as one of the township's agents); else a 422 that says what is missing and
    how to fix it."""
    found = latest(session, case)
    fix = (
        f"请村民签署代办委托书（代办员手机或村便民服务室）/ capture an entrustment signed by "
        f"the villager on the agent's phone or at the village room: "
        f"POST /api/cases/{case.id}/entrustment"
    )
    if found is None:
        why = "没有代办委托书 / No entrustment"
    elif found.revoked_at is not None:
        why = "委托已撤销 / The entrustment was revoked"
    elif found.valid_until < today:
        why = f"委托已于 {found.valid_until} 到期 / The entrustment ran out on {found.valid_until}"
    elif agent_id is None or found.names(agent_id):
        return found
    else:
        raise _not_named(session, case, found, agent_id)
    raise Invalid(
        f"{why}：代办员不能接收材料 / no agent may take the documents. {fix}",
        {"entrustment": [why]},
    )


def _not_named(session: DbSession, case: Case, found: Entrustment, agent_id: int) -> Invalid:
    """The 422 for an agent the entrustment does not name."""
    other = session.get(Agent, agent_id)
    who = other.name if other else f"#{agent_id}"
    named = found.agent.name
    return Invalid(
        f"委托书只委托了代办员{named}，{who}不能接收材料 / The entrustment names agent {named} "
        f"only; {who} may not take the documents. Hand them to {named}, or have the villager "
        f"revoke it and sign a new one (POST /api/cases/{case.id}/entrustment/revocation, then "
        f"POST /api/cases/{case.id}/entrustment)",
        {"entrustment": [f"names agent {found.agent_id}, not agent {agent_id}"]},
    )


def capture(
    session: DbSession,
    scope: Scope,
    case: Case,
    *,
    agent_id: int | None = None,
    materials: list[str],
    valid_until: date,
    captured_at: str,
    covers: str = Covers.AGENT,
    signature_png: str | None = None,
    thumbprint_jpeg: str | None = None,
    signed_at: datetime | None = None,
    now: datetime | None = None,
) -> Entrustment:
    """Record the villager's signed entrustment of an agent for this case (commits).

    ``signed_at``: when they signed, if earlier than now (the phone captured it offline)."""
    if scope.role not in RECORDERS:
        raise Forbidden("只读角色 / Your role can read but not record entrustments")
    now = signed_at or now or datetime.now(UTC)
    today = cst_date(now)
    if case.channel != Channel.AGENT:
        raise Invalid(
            f"此件为{case.channel}，不是全程代办 / Only a case with channel 'agent' is entrusted",
            {"case": [f"channel is {case.channel}"]},
        )
    if case.status not in OPEN:
        raise Conflict(f"代办件已{case.status} / The case is {case.status}")
    current = latest(session, case)
    if current is not None and current.in_force(today):
        raise Conflict(
            f"已有有效委托书（至 {current.valid_until}）/ An entrustment is in force until "
            f"{current.valid_until}; revoke it first to record another"
        )
    agent = _entrusted_agent(session, scope, case, agent_id)
    if not signature_png and not thumbprint_jpeg:
        raise Invalid(
            "须有申请人签名或手印照片 / The villager's signature or a thumbprint photo is needed",
            {"signature_png": ["sign on the canvas, or give thumbprint_jpeg"]},
        )
    if valid_until < today:
        raise Invalid(
            "有效期不能早于今天 / The validity cannot end before today",
            {"valid_until": [f"{valid_until} is before {today}"]},
        )
    where = CapturedAt(captured_at)
    found = Entrustment(
        case_id=case.id,
        agent_id=agent.id,
        materials=list(materials),
        valid_until=valid_until,
        captured_at=where,
        covers=Covers(covers),
        signed_at=now,
        recorded_by_id=scope.user_id,
        signature_hash=keep(signature_png, "signature_png"),
        thumbprint_hash=keep(thumbprint_jpeg, "thumbprint_jpeg"),
    )
    session.add(found)
    case.version += 1
    session.commit()
    return found


def _entrusted_agent(session: DbSession, scope: Scope, case: Case, agent_id: int | None) -> Agent:
    """The agent named; an agent on their phone may name only themselves."""
    if scope.role == Role.AGENT:
        if agent_id not in (None, scope.agent_id):
            raise Forbidden("代办员只能为自己签委托 / On the phone, the entrusted agent is you")
        agent_id = scope.agent_id
    if agent_id is None:
        raise Invalid("须指定受托代办员 / Name the entrusted agent", {"agent_id": ["required"]})
    return township_agent(session, case, agent_id, "agent_id")


def township_agent(session: DbSession, case: Case, ref: int, field: str) -> Agent:
    """An active agent of the case's township, else a 422 on ``field``."""
    agent = session.get(Agent, ref)
    if agent is None or not agent.active:
        raise Invalid("未知代办员 / Unknown agent", {field: [f"no active agent {ref}"]})
    if agent.region.code != township_code(case.village.code):
        raise Invalid(
            "代办员不在本件的乡镇 / The agent works in another township",
            {field: [f"agent {ref} is not an agent of this case's township"]},
        )
    return agent


def revoke(session: DbSession, scope: Scope, case: Case, reason: str, now: datetime) -> Entrustment:
    """Mark the entrustment in force revoked; the caller withdraws the case and commits."""
    if scope.role not in REVOKERS:
        raise Forbidden(
            "撤销委托须由村民通过村工作人员办理 / The villager revokes through village staff"
        )
    current = latest(session, case)
    if current is None or not current.in_force(cst_date(now)):
        raise Conflict("此件没有有效的委托书 / No entrustment in force on this case to revoke")
    current.revoked_at = now
    current.revoked_by_id = scope.user_id
    current.revoke_reason = reason
    return current
