"""Records of processing (处理活动记录) for admins and supervisors, in their region."""

from dispatch.api.audit.resources import blp

__all__ = ["blp"]
