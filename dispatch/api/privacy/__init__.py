"""The person's rights (PIPL Art. 44–47), exercised by an admin: export, correction, erasure."""

from dispatch.api.privacy.resources import blp

__all__ = ["blp"]
