from dispatch.api.items.resources import blp

__all__ = ["blp"]
