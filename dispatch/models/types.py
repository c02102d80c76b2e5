"""Column types that encrypt personal data on the way in and decrypt it on the way out."""

from __future__ import annotations

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


class Encrypted(TypeDecorator[str]):
    """Text sealed with AES-GCM (dispatch.crypto); ``context`` names the column (its AAD).

    ``""`` and ``None`` are stored as they are: emptiness is not personal data, and the outbox
    asks which messages have a phone at all.
    """

    impl = Text
    cache_ok = True
    comparator_factory = _NoCompare

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value), self.context)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, self.context)


class EncryptedFloat(TypeDecorator[float]):
    """A coordinate sealed like ``Encrypted``: a home point is a whereabouts (PIPL Art. 28)."""

    impl = Text
    cache_ok = True
    comparator_factory = _NoCompare

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: float | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return crypto.encrypt(repr(float(value)), self.context)

    def process_result_value(self, value: str | None, dialect: Any) -> float | None:
        if value is None:
            return None
        return float(crypto.decrypt(value, self.context))
