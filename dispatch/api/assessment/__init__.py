"""The county assessment with its subsidy tiers, for the city and the counties."""

from dispatch.api.assessment.resources import blp

__all__ = ["blp"]
