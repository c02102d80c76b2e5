"""Authentication (argon2 passwords, JWT bearer tokens) and role/region scoping."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Flask, g, request
from flask_jwt_extended import get_jwt, verify_jwt_in_request
from sqlalchemy.exc import DBAPIError

from dispatch.errors import Forbidden, Unauthorized
from dispatch.extensions import db, jwt
from dispatch.models.users import Role, Scope
from dispatch.services.auth import is_revoked, scope_for_token

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC_PATHS = {"/api/auth/login", "/api/openapi.json"}
PUBLIC_PREFIXES = ("/api/docs", "/api/public/")


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
    try:
        verify_jwt_in_request()
    except DBAPIError:
        raise  # the revocation check lost the database: a 503, not a logged-out phone
    except Exception as exc:  # flask-jwt-extended raises several types; all mean 401
        raise Unauthorized(f"令牌无效或已过期 / Token missing, invalid or expired ({exc})") from exc
    g.scope = scope_for_token(db.session, get_jwt())


def init_app(app: Flask) -> None:
    app.before_request(_load_scope)

    @jwt.token_in_blocklist_loader
    def _revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        return is_revoked(db.session, payload["jti"])


def now() -> datetime:
    return datetime.now(UTC)
