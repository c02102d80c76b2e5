"""Long-running jobs with progress: in-process by default, Celery when a broker is set."""

from dispatch.jobs.runner import get_job

__all__ = ["get_job"]
