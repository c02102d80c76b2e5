from dispatch.api.agents.resources import blp

__all__ = ["blp"]
