"""The ``daiban`` command as an operator uses it: migrate, create a user, serve, log in."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

DAIBAN = str(Path(sys.executable).with_name("daiban"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_create_user_then_serve_and_log_in(tmp_path, divisions_dir):
    """A user made with create-user can log in to the server that `daiban serve` starts."""
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "DAIBAN_DIVISIONS_DIR": str(divisions_dir),
    }
    run = {"env": env, "capture_output": True, "text": True, "timeout": 120}
    assert subprocess.run([DAIBAN, "db", "upgrade"], **run).returncode == 0
    bad = subprocess.run(
        [DAIBAN, "create-user", "--username", "x", "--password", "short", "--role", "admin"], **run
    )
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and "8" in bad.stderr
    made = subprocess.run(
        [
            DAIBAN,
            "create-user",
            "--username",
            "ops",
            "--password",
            "ops-password-1",
            "--role",
            "admin",
        ],
        **run,
    )
    assert made.returncode == 0, made.stderr
    port = _free_port()
    server = subprocess.Popen(
        [DAIBAN, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(f"{base}/api/openapi.json", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        resp = requests.post(
            f"{base}/api/auth/login",
            json={"username": "ops", "password": "ops-password-1"},
            timeout=5,
        )
        assert resp.status_code == 200 and resp.json()["role"] == "admin"
        me = requests.get(
            f"{base}/api/auth/me",
            timeout=5,
            headers={"Authorization": f"Bearer {resp.json()['access_token']}"},
        )
        assert me.json()["username"] == "ops"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serve_runs_gunicorn_logs_json_and_stops_on_sigterm(tmp_path, divisions_dir):
    """`daiban serve` is gunicorn: health answers, JSON log lines carry the request id that
    the answer echoes, and SIGTERM ends it cleanly (exit 0)."""
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "DAIBAN_DIVISIONS_DIR": str(divisions_dir),
    }
    run = {"env": env, "capture_output": True, "text": True, "timeout": 120}
    assert subprocess.run([DAIBAN, "db", "upgrade"], **run).returncode == 0
    port = _free_port()
    cmd = [DAIBAN, "serve", "--port", str(port), "--workers", "1", "--threads", "2"]
    server = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                alive = requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert alive.status_code == 200 and alive.json() == {"status": "alive"}
        assert alive.headers["Server"] == "gunicorn"
        ready = requests.get(f"{base}/readyz", headers={"X-Request-ID": "probe-42"}, timeout=5)
        assert ready.status_code == 200 and ready.json()["migrations"] == "at head"
        assert ready.headers["X-Request-ID"] == "probe-42"
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=40)
    assert server.returncode == 0, err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    access = [e for e in lines if e["logger"] == "dispatch.access"]
    assert {"path": "/readyz", "status": 200, "request_id": "probe-42"}.items() <= next(
        e for e in access if e["path"] == "/readyz"
    ).items()
    assert len(alive.headers["X-Request-ID"]) == 32
    assert any(e["message"] == "Shutting down: Master" for e in lines), err
    assert "Traceback" not in err
