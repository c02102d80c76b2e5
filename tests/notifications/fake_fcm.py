"""A stand-in for FCM HTTP v1 and Google's OAuth token endpoint, on 127.0.0.1.

Usage::

    fcm, account = started_fake_fcm(tmp_path / "sa.json")
    try:
        channel = FcmChannel(FcmConfig(str(account.path), fcm_url=fcm.fcm_url))
        ...
    finally:
        fcm.stop()

The service-account file names the stand-in's ``/token`` as its ``token_uri``; access
tokens are verified against the throwaway key's public half.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.notifications.http_stub import Reply, StubServer

FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
MESSAGING_SCOPES = {
    "https://www.googleapis.com/auth/cloud-platform",
    "https://www.googleapis.com/auth/firebase.messaging",
}
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SEND_PATH = re.compile(r"^/v1/projects/(?P<project>[^/]+)/messages:send$")

# Failure kinds the stand-in can serve: HTTP status, google.rpc status, FCM errorCode.
FAILURES: dict[str, tuple[int, str, str | None]] = {
    "unregistered": (404, "NOT_FOUND", "UNREGISTERED"),
    "quota": (429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
    "unavailable": (503, "UNAVAILABLE", "UNAVAILABLE"),
    "internal": (500, "INTERNAL", "INTERNAL"),
    "invalid": (400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"),
    "unauthenticated": (401, "UNAUTHENTICATED", None),
}


@dataclass
class ServiceAccount:
    """A throwaway service account: its JSON file and its key pair."""

    path: Path
    project_id: str
    client_email: str
    private_key: rsa.RSAPrivateKey

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()


def generate_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_service_account(
    path: Path,
    token_uri: str,
    project_id: str = "daiban-test",
    private_key: rsa.RSAPrivateKey | None = None,
) -> ServiceAccount:
    """Write a service-account JSON with a fresh (or given) RSA key and ``token_uri``."""
    key = private_key or generate_key()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    email = f"notify@{project_id}.iam.gserviceaccount.com"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": project_id,
                "private_key_id": uuid.uuid4().hex,
                "private_key": pem,
                "client_email": email,
                "client_id": "1234567890",
                "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                "token_uri": token_uri,
            }
        )
    )
    return ServiceAccount(path=path, project_id=project_id, client_email=email, private_key=key)


@dataclass
class _Failure:
    kind: str
    retry_after: str | None = None
    stall: float = 0.0  # seconds the answer takes: past the client's timeout, a timeout


@dataclass
class FakeFcmState:
    """What the stand-in saw; read it under ``FakeFcm.lock``."""

    token_requests: int = 0
    send_requests: int = 0
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    deliveries: Counter[str] = field(default_factory=Counter)  # by data.message_id
    assertion_claims: list[dict[str, Any]] = field(default_factory=list)


class FakeFcm(StubServer):
    """FCM HTTP v1 ``messages:send`` plus the OAuth token endpoint.

    Parameters
    ----------
    public_key
        The service account's public key; JWT assertions are verified with it.
    project_id
        The only project the send URL accepts.
    delay
        Seconds each send request takes before it is answered.
    on_accept
        Called (in a server thread) with the number of accepted sends after each one; a
        test uses it to kill a worker at an exact point of a batch.
    """

    account: ServiceAccount | None = None

    def __init__(
        self,
        public_key: rsa.RSAPublicKey | None = None,
        project_id: str = "daiban-test",
        delay: float = 0.0,
        on_accept: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__()
        self.on_accept = on_accept
        self.public_key = public_key
        self.project_id = project_id
        self.delay = delay
        self.state = FakeFcmState()
        self._tokens: set[str] = set()
        self._token_failures: dict[str, _Failure] = {}
        self._next_failures: deque[_Failure] = deque()
        self._ids = itertools.count(1)

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    @property
    def fcm_url(self) -> str:
        """The send URL template for ``FcmConfig.fcm_url``."""
        return f"{self.base_url}/v1/projects/{{0}}/messages:send"

    # Programming failures.

    def fail_token(self, device_token: str, kind: str, retry_after: str | None = None) -> None:
        """Every send to ``device_token`` fails with ``kind`` (see :data:`FAILURES`)."""
        assert kind in FAILURES, kind
        with self.lock:
            self._token_failures[device_token] = _Failure(kind, retry_after)

    def fail_next(self, kind: str, count: int = 1, retry_after: str | None = None) -> None:
        """The next ``count`` sends fail with ``kind``, whatever their token."""
        assert kind in FAILURES, kind
        with self.lock:
            self._next_failures.extend(_Failure(kind, retry_after) for _ in range(count))

    def stall_next(self, seconds: float, count: int = 1) -> None:
        """The next ``count`` sends hang for ``seconds``, then fail with a 503: nothing is
        delivered (a gateway timing out, when ``seconds`` is past the client's timeout)."""
        with self.lock:
            self._next_failures.extend(_Failure("unavailable", stall=seconds) for _ in range(count))

    def revoke_access_tokens(self) -> None:
        """Forget every access token handed out: the next send gets a 401."""
        with self.lock:
            self._tokens.clear()

    def clear_failures(self) -> None:
        with self.lock:
            self._token_failures.clear()
            self._next_failures.clear()

    # Observations.

    def snapshot(self) -> FakeFcmState:
        with self.lock:
            s = self.state
            return FakeFcmState(
                s.token_requests,
                s.send_requests,
                list(s.accepted),
                list(s.rejected),
                Counter(s.deliveries),
                list(s.assertion_claims),
            )

    # Serving.

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if method == "POST" and path == "/token":
            return self._token(body)
        match = SEND_PATH.match(path)
        if method == "POST" and match:
            return self._send(match["project"], headers, body)
        return _error(404, "NOT_FOUND", f"no route {method} {path}")

    def _token(self, body: bytes) -> Reply:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != JWT_BEARER or "assertion" not in form:
            return Reply(400, {"error": "unsupported_grant_type"})
        try:
            claims = self._verify_assertion(form["assertion"])
        except ValueError as error:
            return Reply(400, {"error": "invalid_grant", "error_description": str(error)})
        access_token = f"ya29.fake-{uuid.uuid4().hex}"
        with self.lock:
            self.state.token_requests += 1
            self.state.assertion_claims.append(claims)
            self._tokens.add(access_token)
        return Reply(
            200, {"access_token": access_token, "expires_in": 3600, "token_type": "Bearer"}
        )

    def _verify_assertion(self, assertion: str) -> dict[str, Any]:
        try:
            header_b64, claims_b64, signature_b64 = assertion.split(".")
            header = json.loads(_b64url(header_b64))
            claims: dict[str, Any] = json.loads(_b64url(claims_b64))
        except (ValueError, TypeError) as error:
            raise ValueError(f"malformed JWT: {error}") from None
        if header.get("alg") != "RS256":
            raise ValueError(f"alg must be RS256, got {header.get('alg')}")
        if self.public_key is not None:
            try:
                self.public_key.verify(
                    _b64url(signature_b64),
                    f"{header_b64}.{claims_b64}".encode(),
                    padding.PKCS1v15(),
                    hashes.SHA256(),
                )
            except Exception:
                raise ValueError("JWT signature does not verify") from None
        # google-auth signs for Google's token endpoint whatever the token_uri says.
        if claims.get("aud") not in (self.token_uri, GOOGLE_TOKEN_AUDIENCE):
            raise ValueError(f"aud must be {self.token_uri}, got {claims.get('aud')}")
        if not str(claims.get("iss", "")).endswith(".iam.gserviceaccount.com"):
            raise ValueError(f"unexpected iss {claims.get('iss')}")
        scopes = str(claims.get("scope", "")).split()
        if not MESSAGING_SCOPES & set(scopes):
            raise ValueError(f"no scope allows FCM sends: {scopes}")
        if int(claims.get("exp", 0)) < time.time():
            raise ValueError("JWT expired")
        return claims

    def _send(self, project: str, headers: dict[str, str], body: bytes) -> Reply:
        if self.delay:
            time.sleep(self.delay)
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        with self.lock:
            self.state.send_requests += 1
            authorized = auth.startswith("Bearer ") and auth[7:] in self._tokens
        if not authorized:
            return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        if project != self.project_id:
            return _error(404, "NOT_FOUND", f"unknown project {project}")
        try:
            message = _validate(json.loads(body))
        except (ValueError, TypeError) as error:
            return _fcm_error(FAILURES["invalid"], str(error))
        failure = self._failure_for(message.get("token", ""))
        if failure is not None:
            if failure.stall:
                time.sleep(failure.stall)
            with self.lock:
                self.state.rejected.append((failure.kind, message))
            extra = {"Retry-After": failure.retry_after} if failure.retry_after else None
            return _fcm_error(FAILURES[failure.kind], f"fake {failure.kind}", extra)
        with self.lock:
            self.state.accepted.append(message)
            self.state.deliveries[message.get("data", {}).get("message_id", "")] += 1
            name = f"projects/{project}/messages/{next(self._ids)}"
            accepted = len(self.state.accepted)
        if self.on_accept is not None:
            self.on_accept(accepted)
        return Reply(200, {"name": name})

    def _failure_for(self, device_token: str) -> _Failure | None:
        with self.lock:
            if self._next_failures:
                return self._next_failures.popleft()
            return self._token_failures.get(device_token)


def _validate(payload: Any) -> dict[str, Any]:
    """The checks FCM makes that matter to us; raises ValueError like a 400 would."""
    if not isinstance(payload, dict) or set(payload) - {"message", "validate_only"}:
        raise ValueError("body must be {message, validate_only?}")
    message = payload.get("message")
    if not isinstance(message, dict):
        raise ValueError("message must be an object")
    targets = [k for k in ("token", "fid", "topic", "condition") if k in message]
    if len(targets) != 1:
        raise ValueError(f"exactly one of token, fid, topic, condition; got {targets}")
    data = message.get("data", {})
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ValueError("data must map strings to strings")
    notification = message.get("notification", {})
    if not isinstance(notification, dict) or set(notification) - {"title", "body", "image"}:
        raise ValueError("notification may hold title, body, image")
    priority = message.get("android", {}).get("priority", "normal")
    if priority not in ("normal", "high"):
        raise ValueError(f"android.priority {priority!r}")
    return message


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _error(status: int, rpc_status: str, message: str) -> Reply:
    return Reply(status, {"error": {"code": status, "message": message, "status": rpc_status}})


def _fcm_error(
    failure: tuple[int, str, str | None], message: str, headers: dict[str, str] | None = None
) -> Reply:
    status, rpc_status, fcm_code = failure
    error: dict[str, Any] = {"code": status, "message": message, "status": rpc_status}
    if fcm_code:
        error["details"] = [{"@type": FCM_ERROR_TYPE, "errorCode": fcm_code}]
    return Reply(status, {"error": error}, headers)


def started_fake_fcm(
    credentials_path: Path,
    project_id: str = "daiban-test",
    private_key: rsa.RSAPrivateKey | None = None,
    delay: float = 0.0,
) -> tuple[FakeFcm, ServiceAccount]:
    """Start a stand-in and write a service account whose ``token_uri`` points at it."""
    key = private_key or generate_key()
    fcm = FakeFcm(public_key=key.public_key(), project_id=project_id, delay=delay).start()
    fcm.account = make_service_account(credentials_path, fcm.token_uri, project_id, key)
    return fcm, fcm.account
