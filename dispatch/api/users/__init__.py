from dispatch.api.users.resources import blp

__all__ = ["blp"]
