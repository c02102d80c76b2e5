"""The production server: gunicorn's threaded workers around the app, logging JSON lines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from dispatch.extensions import db
from dispatch.jobs.schedule import start_embedded

#: gunicorn's own log lines (start, worker boot, shutdown) in the same JSON shape as the app's.
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "dispatch.requestlog.JsonFormatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        # The app writes its own access line, with the request id (dispatch.requestlog).
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        # /readyz asks Alembic for the revision; its "Context impl" lines are noise.
        "alembic.runtime.migration": {"level": "WARNING"},
    },
}


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 2
    threads: int = 4
    timeout: int = 120
    graceful_timeout: int = 30


class DaibanServer(BaseApplication):  # type: ignore[misc]
    """gunicorn serving an app built once in the master and forked into the workers."""

    def __init__(self, app: Flask, options: ServerOptions) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        o = self.options
        settings: dict[str, Any] = {
            "bind": f"{o.host}:{o.port}",
            "workers": o.workers,
            "threads": o.threads,
            "worker_class": "gthread",
            "timeout": o.timeout,
            # SIGTERM: stop accepting, let requests in flight finish for this long, then exit.
            "graceful_timeout": o.graceful_timeout,
            "logconfig_dict": LOG_CONFIG,
            "accesslog": None,
            "post_fork": _post_fork,
            "proc_name": "daiban",
            # gunicorn >= 27 opens a control socket in $HOME; one server per host need not.
            "control_socket_disable": True,
        }
        for key, value in settings.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def _post_fork(server: Any, worker: Any) -> None:
    """A worker must not share the master's database connections; start its pools empty.
    Without Celery, each worker also starts the daily jobs' thread (they run once a day
    across the workers, dispatch.jobs.schedule)."""
    app = server.app.application
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
    start_embedded(app)


def run_server(app: Flask, options: ServerOptions) -> None:
    """Serve until SIGTERM or SIGINT; both stop gracefully."""
    DaibanServer(app, options).run()
