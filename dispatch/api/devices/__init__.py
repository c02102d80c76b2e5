from dispatch.api.devices.resources import blp

__all__ = ["blp"]
