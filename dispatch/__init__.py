"""Daiban dispatch service: the Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides the environment-driven defaults."""
    from dispatch import cli, errors, extensions, security, web
    from dispatch.api import register_blueprints
    from dispatch.config import Config
    from dispatch.services import holiday_file, workdays

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config())
    if config:
        app.config.update(config)
    # Once per app, so the working-day functions stay pure; a bad file stops the start.
    holidays = app.config.get("HOLIDAYS_FILE")
    workdays.use_supplement(holiday_file.load_holiday_file(holidays) if holidays else None)
    extensions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    register_blueprints(app)
    cli.init_app(app)
    web.init_app(app)
    return app
