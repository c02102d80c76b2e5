"""The construction register (建设台账): read by township, kept by county staff."""

from dispatch.api.register.resources import blp

__all__ = ["blp"]
