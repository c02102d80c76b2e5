"""Authentication (argon2 passwords, JWT bearer tokens) and role/region scoping."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from flask import Flask, g, request
from flask_jwt_extended import get_jwt, verify_jwt_in_request
from sqlalchemy.exc import DBAPIError

from dispatch.errors import Forbidden, Unauthorized
from dispatch.models.users import Role

_hasher = PasswordHasher()
F = TypeVar("F", bound=Callable[..., Any])

PUBLIC_PATHS = {"/api/auth/login", "/api/openapi.json"}
PUBLIC_PREFIXES = ("/api/docs", "/api/public/")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Scope:
    """Who is asking, and which part of the city they may see.

    ``prefix`` is the region's short NBS code: every code below a region starts with it, so
    scoping is one ``LIKE 'prefix%'``. An empty prefix is the whole city.
    """

    user_id: int
    username: str
    role: Role
    prefix: str
    agent_id: int | None = None

    def covers(self, code: str) -> bool:
        return code.startswith(self.prefix)


def current_scope() -> Scope:
    scope = g.get("scope")
    if scope is None:
        raise Unauthorized("需要登录 / Log in first: POST /api/auth/login")
    return scope  # type: ignore[no-any-return]


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Allow a view only for these roles; admin is always allowed."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            scope = current_scope()
            if scope.role != Role.ADMIN and scope.role not in roles:
                allowed = ", ".join(r.value for r in roles)
                raise Forbidden(
                    f"角色 {scope.role.value} 无权操作 / Role not allowed; needs {allowed}"
                )
            return view(*args, **kwargs)

        wrapper.__doc__ = view.__doc__
        return wrapper  # type: ignore[return-value]

    return decorator


def _load_scope() -> None:
    """Authenticate every /api request except the public ones, and pin its scope on ``g``."""
    path = request.path
    if not path.startswith("/api/") or path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return
    if request.method == "OPTIONS":
        return
    from dispatch.services.auth import scope_for_token

    try:
        verify_jwt_in_request()
    except DBAPIError:
        raise  # the revocation check lost the database: a 503, not a logged-out phone
    except Exception as exc:  # flask-jwt-extended raises several types; all mean 401
        raise Unauthorized(f"令牌无效或已过期 / Token missing, invalid or expired ({exc})") from exc
    g.scope = scope_for_token(get_jwt())


def init_app(app: Flask) -> None:
    from dispatch.extensions import jwt
    from dispatch.services import auth

    app.before_request(_load_scope)

    @jwt.token_in_blocklist_loader
    def _revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        return auth.is_revoked(payload["jti"])


def now() -> datetime:
    return datetime.now(UTC)
