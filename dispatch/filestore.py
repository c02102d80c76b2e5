"""Signatures and photos out of the rows: a file store behind a small protocol.

Each image (a data URL, as the phone sends it) is sealed with the data key (dispatch.crypto,
AES-GCM; the file's own name is its AAD) and stored under its content hash: a keyed HMAC of
the image, so the name tells nothing without the index key and equal images are stored once.
The rows keep the hash. ``LocalStore`` is a directory (``instance/files`` by default); an
S3-compatible store is another class with the same four methods.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from dispatch import crypto

CONTEXT = "files"
HASH = re.compile(r"^[0-9a-f]{64}$")
DEFAULT_MAX_BYTES = 1_000_000  # a signature canvas is ~50 kB, a scaled-down photo ~300 kB


class TooLarge(ValueError):
    """An image over the store's size limit."""


class BlobStore(Protocol):
    """Where sealed images live, by name; no key ever reaches the store."""

    def put(self, name: str, data: bytes) -> None: ...

    def get(self, name: str) -> bytes: ...  # FileNotFoundError when absent

    def delete(self, name: str) -> None: ...  # absent is fine

    def names(self) -> Iterator[tuple[str, float]]: ...  # (name, last written, epoch s)


class LocalStore:
    """A directory: ``root/ab/abcdef...``, written atomically, readable by the owner only."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        if not HASH.match(name):
            raise ValueError(f"not a content hash: {name!r}")
        return self.root / name[:2] / name

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, name: str) -> bytes:
        return self._path(name).read_bytes()

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def names(self) -> Iterator[tuple[str, float]]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("??/*")):
            if HASH.match(path.name):
                yield path.name, path.stat().st_mtime


class Images:
    """Images sealed into a store by content hash, with a size limit."""

    def __init__(self, store: BlobStore, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.store = store
        self.max_bytes = max_bytes

    def put(self, image: str) -> str:
        """Seal and store the image (again, if present: that marks it fresh); its hash."""
        size = len(image.encode("utf-8"))
        if size > self.max_bytes:
            raise TooLarge(f"{size} bytes; the limit is {self.max_bytes}")
        name = crypto.blind_index(image, CONTEXT)
        self.store.put(name, crypto.encrypt(image, f"{CONTEXT}.{name}").encode("ascii"))
        return name

    def get(self, name: str) -> str:
        return crypto.decrypt(self.store.get(name).decode("ascii"), f"{CONTEXT}.{name}")

    def delete(self, name: str) -> None:
        self.store.delete(name)

    def names(self, older_than_s: float = 0.0) -> list[str]:
        """The stored names, those last written more than ``older_than_s`` ago."""
        cutoff = time.time() - older_than_s
        return [name for name, at in self.store.names() if at <= cutoff]

    def stale(self) -> list[str]:
        """The names of files sealed under an older key."""
        prefix = crypto.keyring().current_prefix.encode("ascii")
        return [n for n in self.names() if not self.store.get(n).startswith(prefix)]

    def reseal(self, name: str) -> None:
        """Re-encrypt one file under the newest key."""
        self.put(self.get(name))
