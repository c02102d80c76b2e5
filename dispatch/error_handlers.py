"""The one place that turns exceptions into HTTP answers with the flask-smorest error body."""

from __future__ import annotations

import logging
import math
import time
from http import HTTPStatus

from flask import Flask, jsonify
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from dispatch.errors import DomainError, Unavailable, error_body
from dispatch.extensions import db, limiter

log = logging.getLogger(__name__)
#: What a 503 tells the client to wait while the database connection is being restored.
DB_RETRY_AFTER_S = 2


def init_app(app: Flask) -> None:
    """Map domain errors, integrity errors and stray exceptions to JSON answers."""

    @app.errorhandler(RateLimitExceeded)
    def _too_many(err: RateLimitExceeded):  # type: ignore[no-untyped-def]
        current = limiter.current_limit
        wait = max(1, math.ceil(current.reset_at - time.time())) if current else 60
        msg = f"请求过于频繁，请 {wait} 秒后再试 / Too many requests; try again in {wait} s"
        body = error_body(429, msg, limit=str(err.limit.limit), retry_after=wait)
        return jsonify(body), 429, {"Retry-After": str(wait)}

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):  # type: ignore[no-untyped-def]
        db.session.rollback()
        body = jsonify(error_body(err.status, err.message, err.errors, **err.extra))
        if isinstance(err, Unavailable):
            return body, err.status, {"Retry-After": str(err.retry_after)}
        return body, err.status

    @app.errorhandler(IntegrityError)
    def _integrity(err: IntegrityError):  # type: ignore[no-untyped-def]
        db.session.rollback()
        log.info("integrity error: %s", err.orig)
        msg = "冲突：记录已存在或引用无效 / Conflict: a duplicate or a dangling reference"
        return jsonify(error_body(409, msg)), 409

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unavailable(err: Exception):  # type: ignore[no-untyped-def]
        # The connection dropped or was refused (see dispatch.resilience): nothing was
        # committed, so the client may simply try again.
        try:
            db.session.rollback()
        except Exception:  # the session's connection is gone too; it is discarded anyway
            log.debug("rollback after a lost connection failed", exc_info=True)
        log.warning("database unavailable: %s", err)
        msg = (
            f"数据库暂时不可用，请 {DB_RETRY_AFTER_S} 秒后重试 / The database is briefly "
            f"unavailable; try again in {DB_RETRY_AFTER_S} s"
        )
        body = error_body(503, msg, retry_after=DB_RETRY_AFTER_S)
        return jsonify(body), 503, {"Retry-After": str(DB_RETRY_AFTER_S)}

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):  # type: ignore[no-untyped-def]
        if isinstance(err, HTTPException):
            code = err.code or 500
            return jsonify(error_body(code, err.description or HTTPStatus(code).phrase)), code
        db.session.rollback()
        log.exception("unhandled error")
        msg = "服务器内部错误 / Internal error; it has been logged"
        return jsonify(error_body(500, msg)), 500
