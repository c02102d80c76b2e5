"""Entry point for Celery workers: ``celery -A dispatch.celery_worker worker``.

Celery needs a module-level app to import; this is the one place that builds it at import
time, as the Flask docs' Celery pattern does.
"""

from dispatch import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
