"""Entry point for Celery workers: ``celery -A dispatch.celery_worker worker``.

Celery needs a module-level app to import; this is the one place that builds it at import
time, as the Flask docs' Celery pattern does.
"""

from dispatch.app import create_app
from dispatch.crypto import KeyConfigError
from dispatch.services.holiday_file import HolidayFileError

try:
    flask_app = create_app()
except (HolidayFileError, KeyConfigError) as err:
    raise SystemExit(f"Error: {err}") from None
celery = flask_app.extensions["celery"]
