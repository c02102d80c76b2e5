"""User administration (admin only): list, create and deactivate."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from dispatch.errors import Conflict
from dispatch.models.session import DbSession
from dispatch.models.users import Scope, User
from dispatch.services.auth import checked_phone, create_user, get_user

__all__ = ["create_user", "deactivate_user", "get_user", "list_users", "set_phone"]


def list_users(role: str | None = None, active: bool | None = None) -> Select[Any]:
    stmt = select(User).order_by(User.id)
    if role:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.active == active)
    return stmt


def deactivate_user(session: DbSession, scope: Scope, user_id: int) -> None:
    """Switch an account off; its tokens stop working at once (each request re-reads it)."""
    user = get_user(session, user_id)
    if user.id == scope.user_id:
        raise Conflict("不能停用自己的账号 / You cannot deactivate your own account")
    user.active = False
    session.commit()


def set_phone(session: DbSession, user_id: int, phone: str) -> User:
    """Set or clear ("") the staff member's SMS number (overdue rectifications reach it)."""
    user = get_user(session, user_id)
    user.phone = checked_phone(phone)
    session.commit()
    return user
