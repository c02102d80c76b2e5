"""Configuration read from the environment, with defaults that run on a laptop."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The Jieyang divisions and outlines ship with the package (see data/jieyang/README.md).
PACKAGE_DATA = Path(__file__).resolve().parent / "data" / "jieyang"
#: The Alembic revisions (Flask-Migrate runs them; /readyz compares the database with the head).
MIGRATIONS_DIR = str(ROOT / "migrations")


def _default_db() -> str:
    instance = ROOT / "instance"
    instance.mkdir(exist_ok=True)
    return f"sqlite:///{instance / 'daiban.sqlite3'}"


def _flag(value: str) -> bool:
    return value.strip().lower() not in {"0", "false", "no", "off", ""}


class Config:
    """Settings; every one can be overridden with an environment variable of the same name."""

    def __init__(self) -> None:
        env = os.environ
        self.SECRET_KEY = env.get(
            "SECRET_KEY", "dev-only-change-me-this-is-not-a-secret-0123456789"
        )
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL") or _default_db()
        self.JWT_SECRET_KEY = env.get("JWT_SECRET_KEY", self.SECRET_KEY)
        self.JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=int(env.get("JWT_ACCESS_MINUTES", "720")))
        self.MAX_CONTENT_LENGTH = int(env.get("MAX_CONTENT_LENGTH", str(1024 * 1024)))
        self.CELERY_BROKER_URL = env.get("CELERY_BROKER_URL", "")
        self.CELERY_RESULT_BACKEND = env.get("CELERY_RESULT_BACKEND", self.CELERY_BROKER_URL)
        self.DIVISIONS_DIR = env.get("DAIBAN_DIVISIONS_DIR", str(PACKAGE_DATA))
        # The assessment's units, subsidy tiers and weights (the shipped file is demo data).
        self.ASSESSMENT_FILE = env.get(
            "DAIBAN_ASSESSMENT_FILE", str(PACKAGE_DATA.parent / "assessment_units.json")
        )
        # The State Council's holiday notice for years chinesecalendar lacks (a JSON file);
        # empty means the package alone, with Mon–Fri for the years it does not cover.
        self.HOLIDAYS_FILE = env.get("DAIBAN_HOLIDAYS_FILE", "")
        self.TIMEZONE = "Asia/Shanghai"
        # Notifications: "log" is the dev default; "fcm" needs a service-account file.
        self.PUSH_CHANNEL = env.get("DAIBAN_PUSH_CHANNEL", "log")
        self.SMS_CHANNEL = env.get("DAIBAN_SMS_CHANNEL", "log")
        self.FCM_CREDENTIALS = env.get("DAIBAN_FCM_CREDENTIALS", "")
        self.FCM_URL = env.get("DAIBAN_FCM_URL", "")
        self.FCM_TIMEOUT_S = float(env.get("DAIBAN_FCM_TIMEOUT_S", "10"))
        self.SMS_ENDPOINT = env.get("DAIBAN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
        self.SMS_ACCESS_KEY_ID = env.get("DAIBAN_SMS_ACCESS_KEY_ID", "")
        self.SMS_ACCESS_KEY_SECRET = env.get("DAIBAN_SMS_ACCESS_KEY_SECRET", "")
        self.SMS_SIGN_NAME = env.get("DAIBAN_SMS_SIGN_NAME", "揭阳代办")
        # The template codes Aliyun approved, "key=SMS_code" by commas or lines; a template left
        # out keeps its shipped placeholder (README, SMS templates).
        self.SMS_TEMPLATE_CODES = env.get("DAIBAN_SMS_TEMPLATE_CODES", "")
        self.PUSH_ACK_TIMEOUT_S = int(env.get("DAIBAN_PUSH_ACK_TIMEOUT_S", "900"))
        # A sender that dies holds its batch this long; longer than a batch takes to send.
        self.OUTBOX_LEASE_S = float(env.get("DAIBAN_OUTBOX_LEASE_S", "120"))
        self.OUTBOX_BATCH = int(env.get("DAIBAN_OUTBOX_BATCH", "500"))
        # Celery beat drains the outbox every this many seconds; 0: beat does not, and a
        # `daiban notify-worker` process sends instead.
        self.OUTBOX_DRAIN_S = float(env.get("DAIBAN_OUTBOX_DRAIN_S", "5"))
        self.RATE_URL = env.get("DAIBAN_RATE_URL", "http://127.0.0.1:5000/rate")
        # 好差评: silence for this many natural days after delivery counts as 基本满意.
        self.RATING_DEFAULT_DAYS = int(env.get("DAIBAN_RATING_DEFAULT_DAYS", "7"))
        # A 差评's verification by the township, and its whole rectification, in working days.
        self.RECTIFY_VERIFY_DAYS = int(env.get("DAIBAN_RECTIFY_VERIFY_DAYS", "5"))
        self.RECTIFY_CLOSE_DAYS = int(env.get("DAIBAN_RECTIFY_CLOSE_DAYS", "10"))
        self.APPEAL_DECIDE_DAYS = int(env.get("DAIBAN_APPEAL_DECIDE_DAYS", "5"))
        # KPI: documents held by one agent longer than this many working days are flagged.
        self.KPI_HOLD_DAYS = int(env.get("DAIBAN_KPI_HOLD_DAYS", "3"))
        # Retention (README, Personal data): natural days after a case closes, and after an
        # SMS to a villager was sent, before its personal data is removed.
        self.RETAIN_RECEIPTS_DAYS = int(env.get("DAIBAN_RETAIN_RECEIPTS_DAYS", "365"))
        self.RETAIN_OUTBOX_DAYS = int(env.get("DAIBAN_RETAIN_OUTBOX_DAYS", "30"))
        self.RETAIN_ROUTES_DAYS = int(env.get("DAIBAN_RETAIN_ROUTES_DAYS", "365"))
        # Signatures and photos, sealed, by content hash (dispatch.filestore); empty: next to a
        # SQLite database file, else instance/files.
        self.FILES_DIR = env.get("DAIBAN_FILES_DIR", "")
        self.FILES_MAX_BYTES = int(env.get("DAIBAN_FILES_MAX_BYTES", "1000000"))
        # Production: S3-compatible object storage instead of the directory (dispatch.s3store).
        s3 = {"ENDPOINT": "", "BUCKET": "", "ACCESS_KEY": "", "SECRET_KEY": ""}
        for key, default in (s3 | {"REGION": "us-east-1", "PREFIX": "daiban/"}).items():
            setattr(self, f"FILES_S3_{key}", env.get(f"DAIBAN_FILES_S3_{key}", default))
        # Without a broker, `daiban serve` runs the daily retention job itself
        # (dispatch.jobs.schedule); with one, Celery beat does.
        self.EMBEDDED_SCHEDULE = _flag(env.get("DAIBAN_EMBEDDED_SCHEDULE", "1"))
        self.PLAN_TIME_LIMIT_S = float(env.get("DAIBAN_PLAN_TIME_LIMIT_S", "2"))
        # A Celery worker's solver processes; its task threads (twice as many) do the
        # database work around the solves. Defaults to one per CPU.
        self.SOLVER_PROCESSES = int(env.get("DAIBAN_SOLVER_PROCESSES") or os.cpu_count() or 1)
        # "prefork" makes each worker child solve its own tasks (no shared solver pool).
        self.CELERY_POOL = env.get("DAIBAN_CELERY_POOL", "threads")
        # Seconds after which a task taken by a worker that died is given to another one.
        self.CELERY_VISIBILITY_S = float(env.get("DAIBAN_CELERY_VISIBILITY_S", "300"))
        # A plan job whose row has not changed for JOB_STALE_S (each township's progress writes
        # it) has lost a township: the beat's sweep, every JOB_SWEEP_S, sends its townships
        # not planned again, at most JOB_RESENDS times, then fails it naming them.
        self.JOB_STALE_S = float(env.get("DAIBAN_JOB_STALE_S", "600"))
        self.JOB_SWEEP_S = float(env.get("DAIBAN_JOB_SWEEP_S", "60"))
        self.JOB_RESENDS = int(env.get("DAIBAN_JOB_RESENDS", "2"))
        # Map tiles: empty means the offline outline map.
        self.MAP_TILE_URL = env.get("DAIBAN_MAP_TILE_URL", "")
        self.MAP_TILE_DATUM = env.get("DAIBAN_MAP_TILE_DATUM", "WGS-84")
        self.API_TITLE = "Daiban 代办调度"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.OPENAPI_SWAGGER_UI_PATH = "/docs"
        self.OPENAPI_SWAGGER_UI_URL = "/static/swagger-ui/"
        self.API_SPEC_OPTIONS = {
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
            "security": [{"bearerAuth": []}],
            "info": {
                "description": "Dispatch for village agency services in Jieyang. "
                "Log in at POST /api/auth/login and send the token as a Bearer header."
            },
        }
        # Rate limits (Flask-Limiter): memory by default; Redis in production, shared by the
        # gunicorn workers, e.g. RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/1.
        # Per app, not Flask-Limiter's RATELIMIT_ENABLED, which flips its one shared limiter
        # for every app in the process (the tests build several).
        self.RATE_LIMITS_ON = _flag(env.get("DAIBAN_RATE_LIMITS", "1"))
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_STRATEGY = "moving-window"
        self.RATELIMIT_LOGIN = env.get("DAIBAN_RATELIMIT_LOGIN", "10 per minute; 60 per hour")
        self.RATELIMIT_PUBLIC = env.get("DAIBAN_RATELIMIT_PUBLIC", "20 per minute; 200 per hour")
        # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (nginx: 1).
        self.PROXY_COUNT = int(env.get("DAIBAN_PROXY_COUNT", "0"))
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # Personal data at rest (dispatch.crypto): "id:base64key,..." newest first, and the
        # blind-index key. Both empty: the development key, with a warning at start.
        self.DATA_KEYS = env.get("DAIBAN_DATA_KEYS", "")
        self.INDEX_KEY = env.get("DAIBAN_INDEX_KEY", "")
