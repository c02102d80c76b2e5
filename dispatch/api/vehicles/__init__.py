from dispatch.api.vehicles.resources import blp

__all__ = ["blp"]
