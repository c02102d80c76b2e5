from dispatch.api.notifications.resources import blp

__all__ = ["blp"]
