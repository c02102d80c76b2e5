"""A stand-in for Aliyun Dysms ``SendSms`` (POP RPC over HTTP) on 127.0.0.1.

It checks what Aliyun checks: the common parameters, the HMAC-SHA1 signature, a fresh
nonce and timestamp, the sign name, the template code and its parameters, the phone
number; and answers in Aliyun's JSON shape. Failures can be programmed per phone number
or for the next N calls.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import time
import uuid
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from notifications.templates import TEMPLATES
from tests.notifications.http_stub import Reply, StubServer

TEST_ACCESS_KEY_ID = "LTAI5tDaibanTestKey"
TEST_ACCESS_KEY_SECRET = "daiban-test-secret"
TEST_SIGN_NAME = "揭阳代办"
COMMON = {
    "Action": "SendSms",
    "Format": "JSON",
    "Version": "2017-05-25",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureVersion": "1.0",
}
REQUIRED = (
    *COMMON,
    "AccessKeyId",
    "SignatureNonce",
    "Timestamp",
    "Signature",
    "PhoneNumbers",
    "SignName",
    "TemplateCode",
)
MAINLAND_MOBILE = re.compile(r"^(\+?86)?1[3-9]\d{9}$")
# Aliyun answers POP-level errors with 4xx and business (isv.*) errors with 200.
HTTP_STATUS_FOR_CODE = {
    "SignatureDoesNotMatch": 400,
    "InvalidAccessKeyId.NotFound": 404,
    "MissingParameter": 400,
    "InvalidParameter": 400,
    "SignatureNonceUsed": 400,
    "InvalidTimeStamp.Expired": 400,
    "Throttling.User": 400,
}


def reference_signature(method: str, params: Mapping[str, str], secret: str) -> str:
    """Aliyun's RPC signature, written apart from the channel's so a bug cannot hide."""

    def enc(s: str) -> str:
        return quote(s, safe="~").replace("+", "%20").replace("*", "%2A")

    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in pairs)
    to_sign = f"{method}&%2F&{enc(canonical)}"
    mac = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def default_template_params() -> dict[str, set[str]]:
    """Approved template codes and their variables, as registered for the project."""
    return {t.sms_code: set(t.sms_variables) for t in TEMPLATES.values()}


@dataclass
class FakeSmsState:
    """What the stand-in saw; read it through ``FakeAliyunSms.snapshot``."""

    requests: int = 0
    accepted: list[dict[str, str]] = field(default_factory=list)
    rejected: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    deliveries: Counter[str] = field(default_factory=Counter)  # by OutId


class FakeAliyunSms(StubServer):
    """Serves ``SendSms`` on ``/`` by GET (query) or POST (form body)."""

    def __init__(
        self,
        access_keys: Mapping[str, str] | None = None,
        sign_names: set[str] | None = None,
        templates: Mapping[str, set[str]] | None = None,
        max_clock_skew: float = 900.0,
    ) -> None:
        super().__init__()
        self.access_keys = dict(access_keys or {TEST_ACCESS_KEY_ID: TEST_ACCESS_KEY_SECRET})
        self.sign_names = sign_names or {TEST_SIGN_NAME}
        self.templates = dict(templates or default_template_params())
        self.max_clock_skew = max_clock_skew
        self.state = FakeSmsState()
        self._nonces: set[str] = set()
        self._phone_failures: dict[str, str] = {}
        self._next_failures: deque[str | int] = deque()
        self._biz_ids = itertools.count(900619746936498440)

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/"

    def fail_phone(self, phone: str, code: str) -> None:
        """Every SMS to ``phone`` is answered with Aliyun error ``code``."""
        with self.lock:
            self._phone_failures[phone] = code

    def fail_next(self, code_or_status: str | int, count: int = 1) -> None:
        """The next ``count`` calls answer an Aliyun error code, or a bare HTTP status."""
        with self.lock:
            self._next_failures.extend([code_or_status] * count)

    def snapshot(self) -> FakeSmsState:
        with self.lock:
            s = self.state
            return FakeSmsState(
                s.requests, list(s.accepted), list(s.rejected), Counter(s.deliveries)
            )

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        url = urlsplit(path)
        if url.path != "/":
            return Reply(404, {"Code": "InvalidAction.NotFound", "Message": url.path})
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        if method == "POST":
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        with self.lock:
            self.state.requests += 1
            injected = self._next_failures.popleft() if self._next_failures else None
        if isinstance(injected, int):
            return Reply(injected, None, {"Content-Type": "text/html"})
        code = injected or self._check(method, params)
        if code != "OK":
            with self.lock:
                self.state.rejected.append((code, params))
            return _answer(code)
        with self.lock:
            self.state.accepted.append(params)
            self.state.deliveries[params.get("OutId", "")] += 1
            biz_id = f"{next(self._biz_ids)}^0"
        return _answer("OK", BizId=biz_id)

    def _check(self, method: str, params: dict[str, str]) -> str:
        missing = [k for k in REQUIRED if not params.get(k)]
        if missing:
            return "MissingParameter"
        if any(params[k] != v for k, v in COMMON.items()):
            return "InvalidParameter"
        secret = self.access_keys.get(params["AccessKeyId"])
        if secret is None:
            return "InvalidAccessKeyId.NotFound"
        if not hmac.compare_digest(
            params["Signature"], reference_signature(method, params, secret)
        ):
            return "SignatureDoesNotMatch"
        try:
            sent_at = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return "InvalidTimeStamp.Format"
        if abs(sent_at.replace(tzinfo=UTC).timestamp() - time.time()) > self.max_clock_skew:
            return "InvalidTimeStamp.Expired"
        with self.lock:
            if params["SignatureNonce"] in self._nonces:
                return "SignatureNonceUsed"
            self._nonces.add(params["SignatureNonce"])
            phone_failure = self._phone_failures.get(params["PhoneNumbers"])
        return phone_failure or self._check_sms(params)

    def _check_sms(self, params: dict[str, str]) -> str:
        if params["SignName"] not in self.sign_names:
            return "isv.SMS_SIGNATURE_ILLEGAL"
        if not all(MAINLAND_MOBILE.match(p) for p in params["PhoneNumbers"].split(",")):
            return "isv.MOBILE_NUMBER_ILLEGAL"
        needed = self.templates.get(params["TemplateCode"])
        if needed is None:
            return "isv.SMS_TEMPLATE_ILLEGAL"
        try:
            values: Any = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return "isv.INVALID_JSON_PARAM"
        if not isinstance(values, dict) or not needed <= values.keys():
            return "isv.TEMPLATE_MISSING_PARAMETERS"
        return "OK"


def _answer(code: str, **extra: str) -> Reply:
    body = {"Code": code, "Message": "OK" if code == "OK" else f"fake {code}"}
    body["RequestId"] = str(uuid.uuid4()).upper()
    body.update(extra)
    return Reply(HTTP_STATUS_FOR_CODE.get(code, 200), body)
