"""Public, unauthenticated look-ups (a villager checks a case by reference and phone)."""

from dispatch.api.public.resources import blp

__all__ = ["blp"]
