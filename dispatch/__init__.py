"""Daiban dispatch service: the Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides the environment-driven defaults."""
    from dispatch import cli, errors, extensions, security, web
    from dispatch.api import register_blueprints
    from dispatch.config import Config

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config())
    if config:
        app.config.update(config)
    extensions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    register_blueprints(app)
    cli.init_app(app)
    web.init_app(app)
    return app
