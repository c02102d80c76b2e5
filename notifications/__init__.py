"""Sending side of the Daiban outbox: templates, channels and the sender; no Flask, no SQL.

Rows are written to the outbox by the dispatch service, in the same transaction as the
change that causes them, and implement :class:`OutboxStore` with SQLAlchemy. A
:class:`Sender` (run by :func:`notifications.worker.run_worker` in ``daiban notify-worker``)
claims due rows under a lease, sends them through a :class:`Channel` chosen by the
message's ``channel`` (``"push"``, ``"sms"``, ``"log"``), records every attempt and settles
each row: sent, retried with backoff, or dead-lettered. Delivery is at least once; the
message id is the de-duplication key the app and the provider logs see.

Channels: :class:`~notifications.channels.fcm.FcmChannel` (firebase-admin),
:class:`~notifications.channels.sms.AliyunSmsChannel` (Aliyun Dysms over HTTP) and
:class:`~notifications.channels.log.LogChannel` (the dev default).

FCM does not reach most phones in mainland China. A phone makers' push (Huawei Push Kit,
Xiaomi MiPush, OPPO Push, vivo Push) or an aggregator (JPush, Getui) is another class with
``name = "push"`` and ``send_batch(messages) -> list[SendResult]``: it sends to
``recipient.device_tokens`` (the registry keeps a platform per token, so a router channel
can split one batch across vendors), puts ``message_id`` and ``plan_version`` in the
payload, and maps the vendor's answers the same way: a token the vendor calls invalid goes
to ``SendResult.dead_tokens``, throttling or outages to ``retry`` with ``retry_after``,
a malformed message to ``dead``. Nothing else changes. The app also syncs its plan on
open, so a push is a nudge, never the only copy.
"""

from notifications.channels.base import Channel
from notifications.channels.log import LogChannel
from notifications.memory_store import MemoryOutboxStore
from notifications.messages import OutboxMessage, Recipient, SendResult
from notifications.outbox import OutboxStore, Sender, SendReport
from notifications.schedule import QuietHours, RetryPolicy
from notifications.templates import TEMPLATES, MessageTemplate, Rendered, render

__all__ = [
    "TEMPLATES",
    "Channel",
    "LogChannel",
    "MemoryOutboxStore",
    "MessageTemplate",
    "OutboxMessage",
    "OutboxStore",
    "QuietHours",
    "Recipient",
    "Rendered",
    "RetryPolicy",
    "SendReport",
    "SendResult",
    "Sender",
    "render",
]
