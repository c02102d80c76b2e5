"""The Flask application factory: every layer bound to one app."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from dispatch import (
    bodies,
    crypto,
    error_handlers,
    extensions,
    health,
    requestlog,
    resilience,
    security,
    web,
    workdays,
)
from dispatch.api import register_blueprints
from dispatch.config import Config
from dispatch.jobs.celery_tasks import celery_init_app
from dispatch.services import holiday_file
from notifications.templates import parse_template_codes


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides the environment-driven defaults."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config())
    if config:
        app.config.update(config)
    # Once per app, so the working-day functions stay pure; a bad file stops the start.
    holidays = app.config.get("HOLIDAYS_FILE")
    workdays.use_supplement(holiday_file.load_holiday_file(holidays) if holidays else None)
    # A bad SMS template code stops the start too, not the first SMS hours later.
    parse_template_codes(app.config["SMS_TEMPLATE_CODES"])
    # Once per process, like the holidays: the column types read the installed keyring.
    crypto.use_keyring(crypto.keyring_from(app.config["DATA_KEYS"], app.config["INDEX_KEY"]))
    requestlog.init_app(app)
    extensions.init_app(app)
    if app.config.get("CELERY_BROKER_URL"):
        celery_init_app(app)
    bodies.init_app(app)
    security.init_app(app)
    error_handlers.init_app(app)
    register_blueprints(app)
    web.init_app(app)
    health.init_app(app)
    resilience.init_app(app)  # last: it wraps every view registered above
    proxies = int(app.config.get("PROXY_COUNT", 0))
    if proxies:
        # Behind nginx: the client's address (for rate limits and logs) is X-Forwarded-For's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    return app
