from dispatch.api.branches.resources import URL_PREFIX, blp

__all__ = ["URL_PREFIX", "blp"]
