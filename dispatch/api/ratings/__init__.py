"""好差评 for staff: ratings, their rectification queue and appeals."""

from dispatch.api.ratings.resources import blp

__all__ = ["blp"]
