from dispatch.api.jobs.resources import blp

__all__ = ["blp"]
