"""Encryption at rest of personal data: AES-256-GCM under keys with ids, and a blind index.

Keys come from the environment (``DAIBAN_DATA_KEYS``), as ``id:base64key`` pairs separated by
commas, newest first: the first key encrypts, every listed key decrypts, so a key can be
retired only after ``daiban rotate-keys`` has moved every value off it. A stored value reads
``v1.<key id>.<base64(nonce | ciphertext | tag)>``; the column's name is the associated data,
so a value copied into another column does not decrypt.

Look-ups and uniqueness go through a blind index (``DAIBAN_INDEX_KEY``): an HMAC-SHA256 of the
normalised value, which names a row without being the value.

Without keys the process uses a development key derived from a constant published in this
file, logs a warning, and says so in ``Keyring.development``: data under it is not protected.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

PREFIX = "v1"
DEV_KEY_ID = "dev"
_DEV_SEED = b"daiban development key - NOT SECRET - never use in production"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_NONCE = 12


class KeyConfigError(ValueError):
    """A key list that cannot be used (bad id, bad length, duplicate)."""


class DecryptError(ValueError):
    """A stored value that no live key opens, or that was tampered with."""


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def generate_key() -> str:
    """A fresh 256-bit key, base64 (for ``DAIBAN_DATA_KEYS`` or ``DAIBAN_INDEX_KEY``)."""
    return _b64encode(AESGCM.generate_key(bit_length=256))


def parse_keys(spec: str) -> dict[str, bytes]:
    """``"k2:base64,k1:base64"`` -> ordered {id: key}, newest first."""
    keys: dict[str, bytes] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        key_id, sep, encoded = part.partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise KeyConfigError(f"key id {key_id!r}: 1-16 letters, digits, '-' or '_', then ':'")
        if key_id in keys:
            raise KeyConfigError(f"key id {key_id!r} is listed twice")
        try:
            raw = _b64decode(encoded.strip())
        except ValueError as exc:
            raise KeyConfigError(f"key {key_id!r} is not base64") from exc
        if len(raw) != 32:
            raise KeyConfigError(f"key {key_id!r} has {len(raw)} bytes; AES-256 needs 32")
        keys[key_id] = raw
    if not keys:
        raise KeyConfigError("no keys listed")
    return keys


@dataclass(frozen=True)
class Keyring:
    """The live data keys (newest first) and the blind-index key."""

    keys: dict[str, bytes]
    index_key: bytes
    development: bool = False
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyConfigError("a keyring needs at least one data key")
        for key_id, raw in self.keys.items():
            self._ciphers[key_id] = AESGCM(raw)

    @property
    def current_id(self) -> str:
        return next(iter(self.keys))

    @property
    def current_prefix(self) -> str:
        """What every value encrypted under the current key starts with."""
        return f"{PREFIX}.{self.current_id}."

    def encrypt(self, plain: str, context: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._ciphers[self.current_id].encrypt(
            nonce, plain.encode("utf-8"), context.encode("ascii")
        )
        return f"{self.current_prefix}{_b64encode(nonce + sealed)}"

    def decrypt(self, stored: str, context: str) -> str:
        version, _, rest = stored.partition(".")
        key_id, _, body = rest.partition(".")
        if version != PREFIX or not body:
            raise DecryptError(f"{context}: not an encrypted value")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DecryptError(f"{context}: key {key_id!r} is not live (DAIBAN_DATA_KEYS)")
        raw = _b64decode(body)
        try:
            plain = cipher.decrypt(raw[:_NONCE], raw[_NONCE:], context.encode("ascii"))
        except InvalidTag as exc:
            raise DecryptError(f"{context}: value does not open under key {key_id!r}") from exc
        return plain.decode("utf-8")

    def blind_index(self, value: str, context: str) -> str:
        """HMAC-SHA256 of ``context`` and the value, hex: equal values, equal indexes."""
        message = context.encode("ascii") + b"\x00" + value.encode("utf-8")
        return hmac.new(self.index_key, message, hashlib.sha256).hexdigest()


def development_keyring() -> Keyring:
    raw = hashlib.sha256(_DEV_SEED).digest()
    index = hashlib.sha256(_DEV_SEED + b" index").digest()
    return Keyring({DEV_KEY_ID: raw}, index, development=True)


def keyring_from(data_keys: str, index_key: str) -> Keyring:
    """The keyring the settings name; the development one (with a warning) when both are empty."""
    if not data_keys and not index_key:
        log.warning(
            "使用开发密钥，个人信息未受保护 / Using the DEVELOPMENT data key: personal data is "
            "NOT protected. Set DAIBAN_DATA_KEYS and DAIBAN_INDEX_KEY (daiban generate-key)."
        )
        return development_keyring()
    if not data_keys or not index_key:
        raise KeyConfigError("set both DAIBAN_DATA_KEYS and DAIBAN_INDEX_KEY, or neither (dev key)")
    raw_index = _b64decode(index_key.strip())
    if len(raw_index) < 32:
        raise KeyConfigError("DAIBAN_INDEX_KEY needs at least 32 bytes")
    return Keyring(parse_keys(data_keys), raw_index)


_active: Keyring | None = None


def use_keyring(ring: Keyring | None) -> None:
    """Install the process's keyring (create_app does, from its settings)."""
    global _active
    _active = ring


def keyring() -> Keyring:
    """The installed keyring; the environment's if none was installed."""
    global _active
    if _active is None:
        _active = keyring_from(
            os.environ.get("DAIBAN_DATA_KEYS", ""), os.environ.get("DAIBAN_INDEX_KEY", "")
        )
    return _active


def encrypt(plain: str, context: str) -> str:
    return keyring().encrypt(plain, context)


def decrypt(stored: str, context: str) -> str:
    return keyring().decrypt(stored, context)


def blind_index(value: str, context: str) -> str:
    return keyring().blind_index(value, context)


def id_number_index(id_number: str) -> str:
    """The blind index of a resident ID number, normalised (trimmed, X upper case)."""
    return blind_index(id_number.strip().upper(), "applicants.id_number")
