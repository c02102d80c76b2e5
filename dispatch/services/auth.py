"""Users, logins and token revocation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_jwt_extended import create_access_token, decode_token
from sqlalchemy import select

from dispatch.errors import Invalid, NotFound, Unauthorized
from dispatch.models.agents import Agent
from dispatch.models.regions import Level, Region
from dispatch.models.session import DbSession
from dispatch.models.users import RevokedToken, Role, Scope, User
from dispatch.services.passwords import hash_password, verify_password
from dispatch.services.validation import mobile_problem

# The region level each role is bound to; admin may have none (the whole city).
ROLE_LEVELS = {
    Role.SUPERVISOR: {Level.CITY, Level.COUNTY},
    Role.DISPATCHER: {Level.TOWNSHIP},
    Role.AGENT: {Level.TOWNSHIP, Level.VILLAGE},
    Role.VILLAGE_STAFF: {Level.VILLAGE},
}


def create_user(
    session: DbSession,
    username: str,
    password: str,
    role: str,
    region_code: str | None = None,
    agent_id: int | None = None,
    phone: str = "",
) -> User:
    """Create a user; the region must fit the role (a dispatcher belongs to a township)."""
    phone = checked_phone(phone)
    try:
        role_ = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise Invalid("未知角色 / Unknown role", {"role": [f"must be one of {roles}"]}) from None
    if len(password) < 8:
        raise Invalid("密码太短 / Password too short", {"password": ["at least 8 characters"]})
    region = None
    if region_code:
        region = session.scalar(select(Region).where(Region.code == region_code))
        if region is None:
            raise Invalid("未知区划 / Unknown region", {"region": [f"no region {region_code}"]})
    levels = ROLE_LEVELS.get(role_)
    if levels and (region is None or Level(region.level) not in levels):
        need = "/".join(sorted(lv.value for lv in levels))
        raise Invalid(
            "角色与区划不符 / Region does not fit the role",
            {"region": [f"role {role_.value} needs a {need} region"]},
        )
    if agent_id is not None and session.get(Agent, agent_id) is None:
        raise Invalid("未知代办员 / Unknown agent", {"agent_id": [f"no agent {agent_id}"]})
    if session.scalar(select(User).where(User.username == username)):
        raise Invalid("用户名已存在 / Username taken", {"username": [f"{username} exists"]})
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role_,
        region_id=region.id if region else None,
        agent_id=agent_id,
        phone=phone,
    )
    session.add(user)
    session.commit()
    return user


def checked_phone(phone: str) -> str:
    """A staff mobile for SMS, or "" for none; anything else is a 422."""
    phone = phone.strip()
    problem = mobile_problem(phone) if phone else None
    if problem:
        raise Invalid(f"手机号无效 / Invalid phone: {problem}", {"phone": [problem]})
    return phone


def login(session: DbSession, username: str, password: str) -> dict[str, Any]:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not verify_password(user.password_hash, password):
        raise Unauthorized("用户名或密码错误 / Wrong username or password")
    return issue_token(user)


def issue_token(user: User) -> dict[str, Any]:
    """A bearer token for a user already authenticated (the login answer's body)."""
    prefix = user.region.short_code if user.region else ""
    claims = {"role": user.role, "prefix": prefix, "agent_id": user.agent_id}
    token = create_access_token(identity=str(user.id), additional_claims=claims)
    exp = decode_token(token)["exp"]
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_at": datetime.fromtimestamp(exp, UTC),
        "role": user.role,
        "region_code": user.region.code if user.region else None,
        "agent_id": user.agent_id,
    }


def scope_for_token(session: DbSession, claims: dict[str, Any]) -> Scope:
    """Re-read the user so a deactivated account loses access at once."""
    user = session.get(User, int(claims["sub"]))
    if user is None or not user.active:
        raise Unauthorized("账号已停用 / Account disabled")
    prefix = user.region.short_code if user.region else ""
    return Scope(user.id, user.username, Role(user.role), prefix, user.agent_id)


def revoke(session: DbSession, claims: dict[str, Any]) -> None:
    expires = datetime.fromtimestamp(claims["exp"], UTC)
    if session.get(RevokedToken, claims["jti"]) is None:
        session.add(RevokedToken(jti=claims["jti"], expires_at=expires))
        session.commit()


def is_revoked(session: DbSession, jti: str) -> bool:
    return session.get(RevokedToken, jti) is not None


def get_user(session: DbSession, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"没有用户 {user_id} / No such user")
    return user
