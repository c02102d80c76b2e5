from dispatch.api.auth.resources import blp

__all__ = ["blp"]
