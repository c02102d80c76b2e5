from dispatch.api.applicants.resources import blp

__all__ = ["blp"]
