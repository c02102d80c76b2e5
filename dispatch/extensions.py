"""Unbound extensions, bound to the app in :func:`init_app`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import marshmallow as ma
import swagger_ui_bundle
from flask import Flask, Response, current_app, send_from_directory
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_smorest.error_handler import ErrorSchema
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from werkzeug.exceptions import HTTPException

from dispatch.config import MIGRATIONS_DIR, ROOT
from dispatch.errors import http_message
from dispatch.filestore import BlobStore, Images, LocalStore
from dispatch.models.base import Base
from dispatch.s3store import S3Store


class DaibanErrorSchema(ErrorSchema):  # type: ignore[misc]
    """flask-smorest's error body, plus the fields our 409s carry."""

    allowed = ma.fields.List(
        ma.fields.String(), metadata={"description": "Legal next states (illegal transition)"}
    )
    violations = ma.fields.List(
        ma.fields.Dict(), metadata={"description": "Broken constraints (manual dispatch)"}
    )
    slot = ma.fields.String(metadata={"description": "The booking slot that was taken"})
    draft_version = ma.fields.Integer(metadata={"description": "Stale publish: the draft"})
    base_version = ma.fields.Integer(metadata={"description": "Stale publish: its base"})
    published_version = ma.fields.Integer(metadata={"description": "Stale publish: current"})


class DaibanApi(Api):  # type: ignore[misc]
    ERROR_SCHEMA = DaibanErrorSchema

    def handle_http_exception(self, error: HTTPException) -> Any:
        """flask-smorest's body, with a message a person can act on in every one."""
        payload, code, headers = super().handle_http_exception(error)
        if not payload.get("message"):
            payload["message"] = http_message(code, current_app.config.get("MAX_CONTENT_LENGTH"))
        return payload, code, headers


db = SQLAlchemy(model_class=Base)
migrate = Migrate(directory=MIGRATIONS_DIR)
api = DaibanApi()
jwt = JWTManager()
#: Memory storage unless ``RATELIMIT_STORAGE_URI`` names Redis; several gunicorn workers need
#: Redis to share their counts. Limits are per client address (behind a proxy, set
#: ``DAIBAN_PROXY_COUNT`` so the address is the client's, not nginx's).
limiter = Limiter(key_func=get_remote_address)


@limiter.request_filter
def _limits_off() -> bool:
    return not current_app.config.get("RATE_LIMITS_ON", True)


def limit_from(config_key: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Rate-limit a view by the limit string in ``config_key`` (``"20 per minute; ..."``).

    Put it above flask-smorest's decorators, so requests that fail validation count too.
    """
    return limiter.limit(lambda: str(current_app.config[config_key]))


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite needs foreign keys switched on, and WAL so readers don't block the writer."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()


def files_dir(config: Any) -> Path:
    """FILES_DIR, else next to a SQLite database file (so every process on it shares the
    images), else instance/files."""
    if config.get("FILES_DIR"):
        return Path(config["FILES_DIR"])
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        database = Path(url.database)
        return database.with_name(database.name + "-files")
    return ROOT / "instance" / "files"


def blob_store(config: Any) -> BlobStore:
    """S3-compatible object storage when an endpoint is set, else the directory."""
    if not config.get("FILES_S3_ENDPOINT"):
        return LocalStore(files_dir(config))
    missing = [k for k in ("BUCKET", "ACCESS_KEY", "SECRET_KEY") if not config[f"FILES_S3_{k}"]]
    if missing:
        raise RuntimeError(
            "DAIBAN_FILES_S3_ENDPOINT needs " + ", ".join(f"DAIBAN_FILES_S3_{k}" for k in missing)
        )
    return S3Store(
        config["FILES_S3_ENDPOINT"],
        config["FILES_S3_BUCKET"],
        config["FILES_S3_ACCESS_KEY"],
        config["FILES_S3_SECRET_KEY"],
        config["FILES_S3_REGION"],
        config["FILES_S3_PREFIX"],
    )


def images() -> Images:
    """The app's image store (signatures and photos, dispatch.filestore)."""
    found: Images = current_app.extensions["daiban.files"]
    return found


def init_app(app: Flask) -> None:
    """Bind the extensions and serve the vendored Swagger UI from the app itself."""
    app.extensions["daiban.files"] = Images(
        blob_store(app.config), int(app.config["FILES_MAX_BYTES"])
    )
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    api.init_app(app)
    jwt.init_app(app)
    limiter.init_app(app)
    swagger_dir = swagger_ui_bundle.swagger_ui_path

    @app.route("/static/swagger-ui/<path:filename>")
    def swagger_static(filename: str) -> Response:
        return send_from_directory(swagger_dir, filename)
