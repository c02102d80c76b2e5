"""The file store on S3-compatible object storage (production): the ``BlobStore`` protocol of
dispatch.filestore over four S3 calls, signed with AWS Signature Version 4.

Path-style addressing (``<endpoint>/<bucket>/<key>``), which AWS, MinIO, Ceph and the cloud
providers of China (OSS, COS, OBS in S3 mode) all accept. The images arrive sealed already
(dispatch.filestore.Images): the object store never holds an image in clear, nor a key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, unquote, urlsplit
from xml.etree import ElementTree

import requests

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    *,
    access_key: str,
    secret_key: str,
    region: str,
    payload_sha256: str,
    now: datetime,
    service: str = "s3",
) -> dict[str, str]:
    """The request's headers with ``x-amz-date``, ``x-amz-content-sha256`` and the SigV4
    ``Authorization``; every header given is signed."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    parts = urlsplit(url)
    signed = {k.lower(): " ".join(str(v).split()) for k, v in headers.items()}
    signed |= {"host": parts.netloc, "x-amz-date": stamp, "x-amz-content-sha256": payload_sha256}
    names = sorted(signed)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = "&".join(sorted(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs))
    canonical = "\n".join(
        [
            method,
            quote(unquote(parts.path) or "/", safe="/-_.~"),
            query,
            "".join(f"{n}:{signed[n]}\n" for n in names),
            ";".join(names),
            payload_sha256,
        ]
    )
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(("AWS4" + secret_key).encode("utf-8"), stamp[:8])
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    auth = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope},"
        f"SignedHeaders={';'.join(names)},Signature={signature}"
    )
    return dict(headers) | {
        "x-amz-date": stamp,
        "x-amz-content-sha256": payload_sha256,
        "Authorization": auth,
    }


class S3Error(RuntimeError):
    """The object store answered with an error."""


class S3Store:
    """Objects ``<prefix><name>`` in one bucket."""

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        prefix: str = "daiban/",
        timeout_s: float = 10.0,
    ) -> None:
        self.base = f"{endpoint.rstrip('/')}/{bucket}"
        self.access_key, self.secret_key, self.region = access_key, secret_key, region
        self.prefix, self.timeout_s = prefix, timeout_s
        self.http = requests.Session()

    def _call(
        self, method: str, url: str, body: bytes = b"", ok: tuple[int, ...] = (200,)
    ) -> requests.Response:
        headers = sign(
            method,
            url,
            {},
            access_key=self.access_key,
            secret_key=self.secret_key,
            region=self.region,
            payload_sha256=hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256,
            now=datetime.now(UTC),
        )
        resp = self.http.request(
            method, url, data=body or None, headers=headers, timeout=self.timeout_s
        )
        if resp.status_code not in ok:
            raise S3Error(f"{method} {url}: HTTP {resp.status_code} {resp.text[:200]}")
        return resp

    def _url(self, name: str) -> str:
        return f"{self.base}/{quote(self.prefix + name, safe='/-_.~')}"

    def put(self, name: str, data: bytes) -> None:
        self._call("PUT", self._url(name), data)

    def get(self, name: str) -> bytes:
        resp = self._call("GET", self._url(name), ok=(200, 404))
        if resp.status_code == 404:
            raise FileNotFoundError(name)
        return resp.content

    def delete(self, name: str) -> None:
        self._call("DELETE", self._url(name), ok=(200, 204, 404))

    def names(self) -> Iterator[tuple[str, float]]:
        token = ""
        while True:
            query = f"list-type=2&prefix={quote(self.prefix, safe='')}"
            if token:
                query += f"&continuation-token={quote(token, safe='')}"
            root = ElementTree.fromstring(self._call("GET", f"{self.base}?{query}").content)
            for item in root.iter(f"{_NS}Contents"):
                key = item.findtext(f"{_NS}Key", "")
                at = item.findtext(f"{_NS}LastModified", "")
                when = datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
                yield key.removeprefix(self.prefix), when
            token = root.findtext(f"{_NS}NextContinuationToken", "")
            if root.findtext(f"{_NS}IsTruncated") != "true" or not token:
                return
