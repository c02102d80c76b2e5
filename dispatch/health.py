"""Liveness and readiness for a load balancer or systemd: no login, no rate limit."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Flask

from dispatch.extensions import db, limiter
from dispatch.services.health import check_readiness

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> Any:
    """The process answers: it is alive."""
    return {"status": "alive"}


@bp.route("/readyz")
def readyz() -> Any:
    """Ready only when the database answers and its migrations are at head (else 503)."""
    readiness = check_readiness(db.session)
    body = asdict(readiness) | {"status": "ready" if readiness.ready else "not ready"}
    return body, 200 if readiness.ready else 503


def init_app(app: Flask) -> None:
    limiter.exempt(bp)
    app.register_blueprint(bp)
