from dispatch.api.forms.resources import URL_PREFIX, blp

__all__ = ["URL_PREFIX", "blp"]
