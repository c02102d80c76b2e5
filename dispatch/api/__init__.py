"""HTTP API: one blueprint per resource, registered on the flask-smorest Api."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from dispatch.api import disclosures
from dispatch.extensions import api

RESOURCES = (
    "auth",
    "regions",
    "cases",
    "centres",
    "items",
    "applicants",
    "agents",
    "vehicles",
    "appointments",
    "users",
    "plans",
    "jobs",
    "bookings",
    "notifications",
    "devices",
    "public",
    "ratings",
    "kpis",
    "register",
    "assessment",
    "forms",
    "branches",
    "audit",
    "privacy",
)


class RowIdConverter(IntegerConverter):
    """``<int:...>`` capped at a 32-bit row id: a huge number is a 404, not a DB overflow."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def register_blueprints(app: Flask) -> None:
    disclosures.init_app(app)

    app.url_map.converters["int"] = RowIdConverter
    for name in RESOURCES:
        module = import_module(f"dispatch.api.{name}")
        api.register_blueprint(module.blp, url_prefix=getattr(module, "URL_PREFIX", f"/api/{name}"))
