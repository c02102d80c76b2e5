"""Column types that encrypt personal data on the way in and decrypt it on the way out."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from dispatch import crypto


class _NoCompare(Text.Comparator[str]):
    """Values are sealed with a fresh nonce each time, so SQL comparisons would silently never
    match: compare through a blind index instead. Only ``== ""`` / ``!= ""`` (empty is stored
    empty) and ``IS NULL`` make sense, so only those are allowed."""

    def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
        name = getattr(op, "__name__", "")
        if name in {"eq", "ne"} and other and other[0] in ("", None):
            return super().operate(op, *other, **kwargs)
        if name in {"is_", "is_not", "isnot"}:
            return super().operate(op, *other, **kwargs)
        raise TypeError(f"an encrypted column cannot be compared in SQL ({name}); use its index")


class Sealed(TypeDecorator[Any]):
    """A value sealed with AES-GCM (dispatch.crypto); ``context`` names the column (its AAD).
    Subclasses say how a value becomes text and back; None is stored as NULL."""

    impl = Text
    cache_ok = True
    comparator_factory = _NoCompare

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def dump(self, value: Any) -> str:
        return str(value)

    def load(self, text: str) -> Any:
        return text

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return crypto.encrypt(self.dump(value), self.context)

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        if value is None:
            return None
        return self.load(crypto.decrypt(value, self.context))


class Encrypted(Sealed):
    """Text sealed. ``""`` is stored as it is: emptiness is not personal data, and the outbox
    asks which messages have a phone at all."""

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return value if value == "" else super().process_bind_param(value, dialect)

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        return value if value == "" else super().process_result_value(value, dialect)


class EncryptedFloat(Sealed):
    """A coordinate sealed: a home point is a whereabouts (PIPL Art. 28)."""

    def dump(self, value: Any) -> str:
        return repr(float(value))

    def load(self, text: str) -> Any:
        return float(text)


class EncryptedJSON(Sealed):
    """A JSON document sealed (a plan's routing documents hold villagers' home points); read
    and written whole, nothing queries inside it."""

    def dump(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    def load(self, text: str) -> Any:
        return json.loads(text)
