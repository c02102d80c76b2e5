from dispatch.api.cases.resources import blp

__all__ = ["blp"]
