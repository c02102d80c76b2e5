"""Channels: one class per provider behind the :class:`Channel` protocol.

``fcm`` and ``sms`` import their SDKs (firebase-admin, requests) only when imported
themselves, so a process that logs only never loads them.
"""

from notifications.channels.base import Channel
from notifications.channels.log import LogChannel, LoggedMessage

__all__ = ["Channel", "LogChannel", "LoggedMessage"]
