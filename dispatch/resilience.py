"""Riding out a lost database connection: retry what is safe to repeat, else answer 503.

PostgreSQL can drop the app's connections (a restart, a fail-over, ``pg_terminate_backend``).
``pool_pre_ping`` replaces a dead connection when it is checked out; a statement already under
way on it fails. A request that is safe to repeat — a read, or a write carrying an
idempotency key (the phone's stop reports) — is run again, at most ``RETRIES`` times, from a
clean session. Anything else, and a request still failing, gets 503 with ``Retry-After``
(see :mod:`dispatch.errors`): the client tries again, nothing is half-done because the
transaction never committed, and no 500 with a traceback is shown.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from dispatch.extensions import db

log = logging.getLogger(__name__)

RETRIES = 2
#: Seconds before the first retry; doubled for the next.
BACKOFF_S = 0.2
T = TypeVar("T")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def is_disconnect(err: BaseException) -> bool:
    """The database went away (a dropped or refused connection), not a bad statement."""
    if isinstance(err, DBAPIError) and err.connection_invalidated:
        return True
    return isinstance(err, OperationalError | InterfaceError)


def _repeatable() -> bool:
    if request.method in SAFE_METHODS:
        return True
    body = request.get_json(silent=True)
    return isinstance(body, dict) and bool(body.get("idempotency_key"))


def run_again_on_disconnect(session: Any, work: Callable[[], T], what: str) -> T:
    """``work()``, run again from a clean session after a dropped connection, at most
    ``RETRIES`` times. Only for work that is safe to repeat: it commits once or not at all."""
    for attempt in range(RETRIES + 1):
        try:
            return work()
        except DBAPIError as err:
            if attempt == RETRIES or not is_disconnect(err):
                raise
            log.warning(
                "database connection lost; retrying %s (%d of %d)", what, attempt + 1, RETRIES
            )
            session.rollback()
            time.sleep(BACKOFF_S * 2**attempt)
    raise AssertionError("unreachable")


def retry_on_disconnect(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run a repeatable request again after a dropped connection, a bounded number of times."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _repeatable():
            return view(*args, **kwargs)
        return run_again_on_disconnect(
            db.session, lambda: view(*args, **kwargs), f"{request.method} {request.path}"
        )

    return wrapper


def end_session(_exc: BaseException | None = None) -> None:
    """End the request's session even when its connection died after the answer was made.

    Flask-SQLAlchemy's own teardown rolls back on the connection; if PostgreSQL dropped it
    meanwhile, that ``ROLLBACK`` raises inside the teardown and the server turns a finished
    answer into a 500. Nothing was committed on a dead connection, so it is thrown away.
    """
    try:
        db.session.remove()
    except DBAPIError as err:
        if not is_disconnect(err):
            raise
        log.warning("database connection lost after the answer; discarding it")
        db.session.registry().invalidate()
        db.session.registry.clear()


def init_app(app: Flask) -> None:
    """Wrap every view; call after the blueprints are registered."""
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = retry_on_disconnect(view)
    # Registered after the extensions, so it runs before Flask-SQLAlchemy's teardown (Flask
    # runs them in reverse), which then finds no session left to close.
    app.teardown_appcontext(end_session)
