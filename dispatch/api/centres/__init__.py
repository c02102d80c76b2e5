from dispatch.api.centres.resources import blp

__all__ = ["blp"]
