from dispatch.api.regions.resources import blp

__all__ = ["blp"]
