"""The session type that models, planning, services and jobs take.

A plain SQLAlchemy :class:`Session` (tests, benchmarks) or Flask-SQLAlchemy's request-scoped
``db.session`` proxy, which forwards the same methods. ``scoped_session`` is invariant in its
parameter, hence Flask-SQLAlchemy's own Session subclass here. It lives with the models, not
in ``dispatch.extensions``, so that naming it pulls in no web layer (flask-smorest, the
limiter, the JWT manager).
"""

from __future__ import annotations

from typing import TypeAlias

from flask_sqlalchemy.session import Session as FlaskSqlaSession
from sqlalchemy.orm import Session, scoped_session

DbSession: TypeAlias = Session | scoped_session[FlaskSqlaSession]
