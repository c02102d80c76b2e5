"""Aliyun POP RPC request signing (SignatureMethod HMAC-SHA1, SignatureVersion 1.0)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote


def percent_encode(value: str) -> str:
    """POP percent-encoding: UTF-8, RFC 3986 unreserved kept, space as %20, '*' as %2A."""
    return quote(value, safe="-_.~")


def canonical_query(params: Mapping[str, str]) -> str:
    """Sorted, percent-encoded ``k=v`` pairs joined by ``&``; ``Signature`` is left out."""
    return "&".join(
        f"{percent_encode(k)}={percent_encode(params[k])}"
        for k in sorted(params)
        if k != "Signature"
    )


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def sign(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    """Base64 HMAC-SHA1 of the string to sign, keyed by ``secret + '&'``."""
    digest = hmac.new(
        f"{access_key_secret}&".encode(),
        string_to_sign(method, params).encode(),
        hashlib.sha1,
    ).digest()
    return base64.b64encode(digest).decode()


def common_params(access_key_id: str, version: str, now: datetime | None = None) -> dict[str, str]:
    """The parameters every POP RPC call carries, with a fresh nonce and timestamp."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "AccessKeyId": access_key_id,
        "Format": "JSON",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": str(uuid.uuid4()),
        "SignatureVersion": "1.0",
        "Timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": version,
    }
