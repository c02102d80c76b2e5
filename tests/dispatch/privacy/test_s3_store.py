"""The file store on S3-compatible storage: requests signed with AWS Signature Version 4
(checked against AWS's published example), and the four calls against a small fake bucket
that refuses a request whose signature does not match."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from dispatch.extensions import blob_store
from dispatch.filestore import Images
from dispatch.s3store import EMPTY_SHA256, S3Error, S3Store, sign

ACCESS, SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PORT = 5131  # this helper's port range


def test_the_signature_is_aws_example():
    """AWS's example GET of examplebucket/test.txt with a Range header, signed the same."""
    headers = sign(
        "GET",
        "https://examplebucket.s3.amazonaws.com/test.txt",
        {"Range": "bytes=0-9"},
        access_key=ACCESS,
        secret_key=SECRET,
        region="us-east-1",
        payload_sha256=EMPTY_SHA256,
        now=datetime(2013, 5, 24, tzinfo=UTC),
    )
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


class FakeBucket(BaseHTTPRequestHandler):
    """Path-style PUT, GET, DELETE and ListObjectsV2 on one bucket, in memory; a request is
    answered only if its signature is the one the secret gives."""

    objects: dict[str, tuple[bytes, float]] = {}

    def log_message(self, *args: object) -> None:
        pass

    def _signed(self, body: bytes) -> bool:
        now = datetime.strptime(self.headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        url = f"http://{self.headers['Host']}{self.path}"
        expected = sign(
            self.command, url, {}, access_key=ACCESS, secret_key=SECRET, region="us-east-1",
            payload_sha256=self.headers["x-amz-content-sha256"], now=now,
        )  # fmt: skip
        return self.headers.get("Authorization") == expected["Authorization"]

    def _answer(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _key(self) -> str:
        return unquote(urlsplit(self.path).path).removeprefix("/bucket/")

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if not self._signed(body):
            return self._answer(403)
        self.objects[self._key()] = (body, datetime.now(UTC).timestamp())
        self._answer(200)

    def do_DELETE(self) -> None:
        if not self._signed(b""):
            return self._answer(403)
        self.objects.pop(self._key(), None)
        self._answer(204)

    def do_GET(self) -> None:
        if not self._signed(b""):
            return self._answer(403)
        parts = urlsplit(self.path)
        if parts.path == "/bucket":
            prefix = parse_qs(parts.query).get("prefix", [""])[0]
            items = "".join(
                f"<Contents><Key>{k}</Key><LastModified>"
                f"{datetime.fromtimestamp(at, UTC).isoformat().replace('+00:00', 'Z')}"
                "</LastModified></Contents>"
                for k, (_, at) in sorted(self.objects.items())
                if k.startswith(prefix)
            )
            xml = (
                '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"<IsTruncated>false</IsTruncated>{items}</ListBucketResult>"
            )
            return self._answer(200, xml.encode())
        found = self.objects.get(self._key())
        self._answer(200, found[0]) if found else self._answer(404)


@pytest.fixture()
def bucket() -> Iterator[str]:
    FakeBucket.objects = {}
    server = ThreadingHTTPServer(("127.0.0.1", PORT), FakeBucket)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{PORT}"
    server.shutdown()
    server.server_close()


def test_images_in_an_s3_bucket(bucket: str) -> None:
    """Sealed images go in, come out, are listed and deleted; the bucket holds no image."""
    store = S3Store(bucket, "bucket", ACCESS, SECRET, prefix="daiban/")
    images = Images(store)
    image = "data:image/png;base64,iVBORw0KGgo" + "A" * 300
    name = images.put(image)
    assert list(FakeBucket.objects) == [f"daiban/{name}"]
    assert b"iVBORw0KGgo" not in FakeBucket.objects[f"daiban/{name}"][0]
    assert images.get(name) == image
    assert images.names() == [name]
    images.delete(name)
    assert images.names() == []
    with pytest.raises(FileNotFoundError):
        images.get(name)


def test_a_wrong_secret_is_refused(bucket: str) -> None:
    """The fake checks the signature: another secret gets a 403, said as an error."""
    store = S3Store(bucket, "bucket", ACCESS, "not-the-secret")
    with pytest.raises(S3Error, match="403"):
        store.put("a" * 64, b"x")


def test_the_app_picks_s3_when_an_endpoint_is_set(bucket: str) -> None:
    """DAIBAN_FILES_S3_ENDPOINT chooses the bucket; without its bucket or keys, a clear error."""
    config = {
        "FILES_S3_ENDPOINT": bucket,
        "FILES_S3_BUCKET": "bucket",
        "FILES_S3_ACCESS_KEY": ACCESS,
        "FILES_S3_SECRET_KEY": SECRET,
        "FILES_S3_REGION": "us-east-1",
        "FILES_S3_PREFIX": "p/",
    }
    assert isinstance(blob_store(config), S3Store)
    with pytest.raises(RuntimeError, match="DAIBAN_FILES_S3_SECRET_KEY"):
        blob_store(config | {"FILES_S3_SECRET_KEY": ""})
