"""SMS through Aliyun Dysms ``SendSms`` over its documented HTTP RPC API."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import requests
import requests.adapters

from notifications.channels import aliyun_pop
from notifications.messages import OutboxMessage, SendResult
from notifications.templates import get_template

logger = logging.getLogger(__name__)

DYSMS_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
DYSMS_VERSION = "2017-05-25"

# Transient answers: flow control, throttling, Aliyun's own trouble, a reused nonce.
RETRY_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "ServiceUnavailable",
        "InternalError",
        "SignatureNonceUsed",
        "isv.OUT_OF_SERVICE",
        "isv.AMOUNT_NOT_ENOUGH",
    }
)
# Aliyun's per-number flow control is counted per minute, hour and day: wait at least this.
BUSINESS_LIMIT_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class AliyunSmsConfig:
    """How to reach Aliyun SMS.

    Parameters
    ----------
    access_key_id, access_key_secret
        A RAM user's AccessKey with ``dysms:SendSms``.
    sign_name
        The approved signature (签名), e.g. ``"揭阳代办"``.
    endpoint
        The RPC endpoint; a stand-in's URL in tests.
    region_id
        Sent as ``RegionId``.
    template_codes
        Approved template codes by template key, overriding ``MessageTemplate.sms_code``.
    timeout
        Seconds per HTTP request.
    max_workers
        Concurrent requests per batch (one request per message).
    method
        ``"POST"`` (form body) or ``"GET"`` (query string); both are documented.
    """

    access_key_id: str
    access_key_secret: str
    sign_name: str
    endpoint: str = DYSMS_ENDPOINT
    region_id: str = "cn-hangzhou"
    template_codes: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    max_workers: int = 8
    method: Literal["GET", "POST"] = "POST"

    def __post_init__(self) -> None:
        for name in ("access_key_id", "access_key_secret", "sign_name", "endpoint"):
            if not getattr(self, name):
                raise ValueError(f"AliyunSmsConfig.{name} must not be empty")
        if self.method not in ("GET", "POST"):
            raise ValueError(f"AliyunSmsConfig.method must be GET or POST, got {self.method!r}")
        if self.max_workers < 1:
            raise ValueError(f"AliyunSmsConfig.max_workers must be >= 1, got {self.max_workers!r}")


class AliyunSmsChannel:
    """Sends each message as one ``SendSms`` call; ``OutId`` carries the message id."""

    name = "sms"

    def __init__(self, config: AliyunSmsConfig, session: requests.Session | None = None) -> None:
        self._config = config
        self._session = session or requests.Session()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=4, pool_maxsize=max(10, config.max_workers)
        )
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def close(self) -> None:
        self._session.close()

    def send_batch(self, messages: Sequence[OutboxMessage]) -> list[SendResult]:
        if len(messages) <= 1:
            return [self.send(m) for m in messages]
        workers = min(self._config.max_workers, len(messages))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(self.send, messages))

    def send(self, message: OutboxMessage) -> SendResult:
        """Send one message; never raises for a provider or network failure."""
        try:
            params = self.request_params(message)
        except ValueError as error:
            return SendResult.dead(str(error))
        params["Signature"] = aliyun_pop.sign(
            self._config.method, params, self._config.access_key_secret
        )
        try:
            if self._config.method == "GET":
                response = self._session.get(
                    self._config.endpoint, params=params, timeout=self._config.timeout
                )
            else:
                response = self._session.post(
                    self._config.endpoint, data=params, timeout=self._config.timeout
                )
        except requests.RequestException as error:
            return SendResult.retry(f"{type(error).__name__}: {error}")
        return map_response(response.status_code, response.text)

    def request_params(self, message: OutboxMessage) -> dict[str, str]:
        """The unsigned ``SendSms`` parameters for ``message``."""
        if not message.recipient.phone:
            raise ValueError(f"recipient {message.recipient.ref!r} has no phone number")
        template = get_template(message.kind)
        params = aliyun_pop.common_params(self._config.access_key_id, DYSMS_VERSION)
        params.update(
            {
                "Action": "SendSms",
                "RegionId": self._config.region_id,
                "PhoneNumbers": message.recipient.phone,
                "SignName": self._config.sign_name,
                "TemplateCode": self._config.template_codes.get(message.kind, template.sms_code),
                "TemplateParam": json.dumps(
                    template.sms_params(message.variables), ensure_ascii=False
                ),
                "OutId": message.id,
            }
        )
        return params


def map_response(status_code: int, body: str) -> SendResult:
    """Map an HTTP answer of ``SendSms`` to a :class:`SendResult`."""
    if status_code >= 500:
        return SendResult.retry(f"HTTP {status_code}")
    try:
        payload = json.loads(body)
    except ValueError:
        return SendResult.retry(f"HTTP {status_code} with a body that is not JSON")
    if not isinstance(payload, dict):
        return SendResult.retry(f"HTTP {status_code} with an unexpected body")
    code = str(payload.get("Code", ""))
    reason = f"{code}: {payload.get('Message', '')}"
    if code == "OK":
        return SendResult.sent(str(payload.get("BizId", "")))
    if code == "isv.BUSINESS_LIMIT_CONTROL":
        return SendResult.retry(reason, retry_after=BUSINESS_LIMIT_WAIT_SECONDS)
    if code in RETRY_CODES or code.startswith("Throttling"):
        return SendResult.retry(reason)
    # isv.MOBILE_NUMBER_ILLEGAL, isv.TEMPLATE_MISSING_PARAMETERS, signature and key errors...
    return SendResult.dead(reason)
