from dispatch.api.bookings.resources import blp

__all__ = ["blp"]
