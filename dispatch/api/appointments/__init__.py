from dispatch.api.appointments.resources import blp

__all__ = ["blp"]
