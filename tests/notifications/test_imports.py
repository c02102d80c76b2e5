"""notifications stays free of Flask and SQLAlchemy, and the SDK hook it relies on exists."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from firebase_admin import messaging

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    "notifications",
    "notifications.channels.fcm",
    "notifications.channels.sms",
    "notifications.channels.log",
    "notifications.outbox",
    "notifications.memory_store",
    "notifications.worker",
]


def test_notifications_imports_neither_flask_nor_sqlalchemy() -> None:
    """Importing every notifications module in a fresh interpreter loads no flask or sqlalchemy."""
    code = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"notifications pulled in: {result.stdout.strip()}"


def test_firebase_admin_still_has_the_fcm_url_hook() -> None:
    """The private FCM_URL attribute that the fcm_url override patches still exists."""
    service_cls = getattr(messaging, "_MessagingService", None)
    assert service_cls is not None, "firebase_admin.messaging._MessagingService is gone"
    url = getattr(service_cls, "FCM_URL", None)
    assert isinstance(url, str) and "{0}" in url, (
        "firebase_admin.messaging._MessagingService.FCM_URL disappeared or changed shape; "
        f"the stand-in tests and FcmConfig.fcm_url depend on it (got {url!r})"
    )
    assert callable(getattr(messaging, "_get_messaging_service", None))
