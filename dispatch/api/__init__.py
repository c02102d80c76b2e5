"""HTTP API: one blueprint per resource, registered on the flask-smorest Api."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

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
)


def register_blueprints(app: Flask) -> None:
    from dispatch.extensions import api

    for name in RESOURCES:
        module = import_module(f"dispatch.api.{name}")
        api.register_blueprint(module.blp, url_prefix=f"/api/{name}")
