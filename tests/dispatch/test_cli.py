"""The ``daiban`` command as an operator uses it: migrate, create a user, serve, log in."""

from __future__ import annotations

import os
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
