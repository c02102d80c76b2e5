"""Firebase Cloud Messaging through the firebase-admin SDK (HTTP v1, ``send_each``)."""

from __future__ import annotations

import email.utils
import threading
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import firebase_admin
import requests.adapters
from firebase_admin import credentials, exceptions, messaging
from urllib3.util.retry import Retry

from notifications.messages import OutboxMessage, SendResult
from notifications.templates import get_template

FCM_MAX_BATCH = 500
"""``messaging.send_each`` refuses more than this many messages per call."""

_FCM_URL_LOCK = threading.Lock()


@dataclass(frozen=True)
class FcmConfig:
    """How to reach FCM.

    Parameters
    ----------
    credentials_file
        Path of the service-account JSON; its ``project_id`` and ``token_uri`` are used.
    fcm_url
        Override of the send URL, with ``{0}`` for the project id, e.g.
        ``"http://127.0.0.1:8080/v1/projects/{0}/messages:send"`` (stand-ins, a relay).
    http_timeout
        Seconds per HTTP request.
    sdk_retries
        How many times the SDK's own HTTP adapter retries a 500/503 before the error
        reaches us (the SDK default is 4, backing off 0, 1, 2 and 4 s).
    sdk_backoff_factor
        The urllib3 backoff factor of those retries (0 makes them immediate).
    batch_size
        Device sends per ``send_each`` call, at most 500.
    app_name
        Name of the firebase app; by default a fresh unique name per channel.
    """

    credentials_file: str
    fcm_url: str | None = None
    http_timeout: float = 10.0
    sdk_retries: int = 4
    sdk_backoff_factor: float = 0.5
    batch_size: int = FCM_MAX_BATCH
    app_name: str | None = None

    def __post_init__(self) -> None:
        if self.fcm_url is not None and "{0}" not in self.fcm_url:
            raise ValueError(
                f"FcmConfig.fcm_url needs a {{0}} for the project, got {self.fcm_url!r}"
            )
        if not 1 <= self.batch_size <= FCM_MAX_BATCH:
            raise ValueError(f"FcmConfig.batch_size must be 1..500, got {self.batch_size!r}")
        if self.sdk_retries < 0:
            raise ValueError(f"FcmConfig.sdk_retries must be >= 0, got {self.sdk_retries!r}")
        if self.sdk_backoff_factor < 0:
            raise ValueError(
                f"FcmConfig.sdk_backoff_factor must be >= 0, got {self.sdk_backoff_factor!r}"
            )


def sdk_retry_config(retries: int, backoff_factor: float) -> Retry:
    """The SDK's default retry rules (see ``firebase_admin._http_client``) with our counts.

    ``respect_retry_after_header`` is off: otherwise urllib3 sleeps for a 429's Retry-After
    inside the worker; we hand the 429 to the outbox, which schedules the retry instead.
    """
    return Retry(
        connect=1,
        read=1,
        status=retries,
        status_forcelist=[500, 503],
        raise_on_status=False,
        backoff_factor=backoff_factor,
        allowed_methods=None,
        respect_retry_after_header=False,
    )


class FcmChannel:
    """Sends agent pushes through FCM; a message goes to every device token of its recipient.

    Each message carries ``message_id``, ``kind`` and ``plan_version`` (when known) in its
    data, so the app can de-duplicate: delivery is at least once.
    """

    name = "push"

    def __init__(self, config: FcmConfig) -> None:
        self._config = config
        app_name = config.app_name or f"daiban-fcm-{uuid.uuid4().hex}"
        cred = credentials.Certificate(config.credentials_file)
        self._app = firebase_admin.initialize_app(
            cred, {"httpTimeout": config.http_timeout}, name=app_name
        )
        service = _create_messaging_service(self._app, config.fcm_url)
        _install_retries(service, config)

    @property
    def app(self) -> firebase_admin.App:
        return self._app

    def close(self) -> None:
        """Delete the firebase app (and its HTTP sessions)."""
        firebase_admin.delete_app(self._app)

    def send_batch(self, messages: Sequence[OutboxMessage]) -> list[SendResult]:
        outcomes: list[list[_TokenOutcome]] = [[] for _ in messages]
        early: dict[int, SendResult] = {}
        sends: list[tuple[int, str, messaging.Message]] = []
        for index, message in enumerate(messages):
            try:
                sends.extend((index, t, m) for t, m in _fcm_messages(message))
            except ValueError as error:
                early[index] = SendResult.dead(str(error))
                continue
            if not message.recipient.device_tokens:
                early[index] = SendResult.dead("recipient has no device tokens")
        size = self._config.batch_size
        for start in range(0, len(sends), size):
            chunk = sends[start : start + size]
            for (index, token, _), outcome in zip(chunk, self._send_chunk(chunk), strict=True):
                outcomes[index].append(_classify(token, outcome))
        return [early.get(i) or _combine(outcomes[i]) for i in range(len(messages))]

    def _send_chunk(self, chunk: list[tuple[int, str, messaging.Message]]) -> list[Any]:
        try:
            batch = messaging.send_each([m for _, _, m in chunk], app=self._app)
        except exceptions.FirebaseError as error:
            return [error] * len(chunk)
        return [r.message_id if r.success else r.exception for r in batch.responses]


@dataclass(frozen=True)
class _TokenOutcome:
    status: str  # "sent", "dead_token", "retry", "dead"
    detail: str
    retry_after: float | None = None
    token: str = ""


def _fcm_messages(message: OutboxMessage) -> list[tuple[str, messaging.Message]]:
    rendered = get_template(message.kind).render(message.variables)
    data = dict(message.data)
    data["message_id"] = message.id
    data["kind"] = message.kind
    if "plan_version" not in data and "plan_version" in message.variables:
        data["plan_version"] = str(message.variables["plan_version"])
    android = messaging.AndroidConfig(priority="high" if message.urgent else "normal")
    notification = messaging.Notification(title=rendered.title, body=rendered.text)
    # SDK 7.x deprecates Message.token in favour of Firebase installation ids (fid), but the
    # registry holds registration tokens, which FCM v1 still takes (and SDK 6.x knows no fid).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Message.token is deprecated", DeprecationWarning)
        return [
            (t, messaging.Message(token=t, data=data, notification=notification, android=android))
            for t in message.recipient.device_tokens
        ]


def _classify(token: str, outcome: Any) -> _TokenOutcome:
    if isinstance(outcome, str):
        return _TokenOutcome("sent", outcome)
    reason = f"{type(outcome).__name__}: {outcome}"
    if isinstance(outcome, messaging.UnregisteredError):
        return _TokenOutcome("dead_token", reason, token=token)
    if isinstance(
        outcome,
        messaging.QuotaExceededError
        | exceptions.UnavailableError
        | exceptions.InternalError
        | exceptions.DeadlineExceededError
        | exceptions.UnauthenticatedError
        | exceptions.UnknownError,
    ):
        return _TokenOutcome("retry", reason, retry_after=retry_after_seconds(outcome))
    # InvalidArgumentError, SenderIdMismatchError, ThirdPartyAuthError, PermissionDenied...
    return _TokenOutcome("dead", reason)


def _combine(outcomes: list[_TokenOutcome]) -> SendResult:
    # One device that got it is enough: a push is a nudge, the app also syncs on open.
    dead_tokens = tuple(o.token for o in outcomes if o.status == "dead_token")
    sent = [o for o in outcomes if o.status == "sent"]
    if sent:
        return SendResult.sent(sent[0].detail, dead_tokens=dead_tokens)
    retry = [o for o in outcomes if o.status == "retry"]
    reasons = "; ".join(dict.fromkeys(o.detail for o in outcomes))
    if retry:
        waits = [o.retry_after for o in retry if o.retry_after is not None]
        return SendResult.retry(reasons, max(waits) if waits else None, dead_tokens)
    if dead_tokens and len(dead_tokens) == len(outcomes):
        reasons = f"all device tokens unregistered; {reasons}"
    return SendResult.dead(reasons, dead_tokens=dead_tokens)


def retry_after_seconds(error: exceptions.FirebaseError) -> float | None:
    """Seconds from the Retry-After header of the error's HTTP response, if any."""
    response = getattr(error, "http_response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _create_messaging_service(app: firebase_admin.App, fcm_url: str | None) -> Any:
    """Create the app's messaging service now, with ``fcm_url`` if given.

    ``_MessagingService.FCM_URL`` is private but stable from SDK 2.9 to 7.7; the service
    formats it once in ``__init__``, so it is set around that moment only, under a lock.
    """
    service_cls = messaging._MessagingService
    with _FCM_URL_LOCK:
        if fcm_url is None:
            return messaging._get_messaging_service(app)
        if not isinstance(getattr(service_cls, "FCM_URL", None), str):
            raise RuntimeError(
                "firebase_admin.messaging._MessagingService.FCM_URL is gone; "
                "the fcm_url override needs another way in for this SDK version"
            )
        original = service_cls.FCM_URL
        service_cls.FCM_URL = fcm_url
        try:
            return messaging._get_messaging_service(app)
        finally:
            service_cls.FCM_URL = original


def _install_retries(service: Any, config: FcmConfig) -> None:
    """Replace the SDK's HTTP adapters so its own retries follow ``config``."""
    client = getattr(service, "_client", None)
    session = getattr(client, "session", None)
    if session is None:
        raise RuntimeError("firebase_admin messaging service has no _client.session to configure")
    retry = sdk_retry_config(config.sdk_retries, config.sdk_backoff_factor)
    url = urlsplit(service._fcm_url)
    prefixes = ["http://", "https://", "https://fcm.googleapis.com", f"{url.scheme}://{url.netloc}"]
    for prefix in prefixes:
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=100, pool_maxsize=100, max_retries=retry
        )
        session.mount(prefix, adapter)
