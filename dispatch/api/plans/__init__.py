from dispatch.api.plans.resources import blp

__all__ = ["blp"]
