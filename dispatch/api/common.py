"""Schema pieces shared by several resources."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import marshmallow as ma
from marshmallow import validate

from dispatch.hours import parse_weekly_hours
from dispatch.models.status_labels import status_label
from dispatch.privacy import Field, Subject, show
from dispatch.security import current_scope
from dispatch.services.validation import id_number_problem, mobile_problem, point_problem

Lon = ma.fields.Float(required=True, validate=validate.Range(-180, 180))
Lat = ma.fields.Float(required=True, validate=validate.Range(-90, 90))
# A row id as a path or body value: positive and inside a 32-bit integer column.
ROW_ID = validate.Range(min=1, max=2**31 - 1)
REGION_CODE = validate.Regexp(r"^\d{12}$", error="a 12-digit region code")
# A material or item name, as the catalogue and the forms list them.
NAME = validate.Length(1, 120)


def note_field() -> ma.fields.String:
    """A free note, empty when left out."""
    return ma.fields.String(load_default="", validate=validate.Length(max=2000))


def signature_field() -> ma.fields.String:
    """The signature canvas's PNG data URL (signature_pad's ``toDataURL``)."""
    return ma.fields.String(validate=validate.Length(max=400_000))


def photo_field() -> ma.fields.String:
    """A JPEG data URL, scaled down on the phone (a hand-over photo, a thumbprint)."""
    return ma.fields.String(validate=validate.Length(max=700_000))


def names_field(required: bool = False, least: int = 0, most: int = 30) -> ma.fields.List[Any]:
    """A list of names (materials, items), at most ``most`` of them."""
    size = validate.Length(least or None, most)
    return ma.fields.List(ma.fields.String(validate=NAME), required=required, validate=size)


class StrictSchema(ma.Schema):
    """Unknown fields are an error that names them, not silently dropped."""

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def _storable_text(self, data: Any, **kwargs: Any) -> Any:
        """PostgreSQL refuses NUL characters and UTF-8 lone surrogates: a 422, not a 500."""
        if hasattr(data, "items"):
            bad = {
                key: ["contains a NUL character or an unpaired surrogate"]
                for key, value in data.items()
                if not _storable(value)
            }
            if bad:
                raise ma.ValidationError(bad)
        return data


def _storable(value: Any) -> bool:
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    return True


def validate_mobile(value: str) -> None:
    problem = mobile_problem(value)
    if problem:
        raise ma.ValidationError(problem)


def validate_id_number(value: str) -> None:
    problem = id_number_problem(value)
    if problem:
        raise ma.ValidationError(problem)


def check_point(data: dict[str, Any], lon_key: str = "lon", lat_key: str = "lat") -> None:
    if lon_key in data and lat_key in data:
        problem = point_problem(data[lon_key], data[lat_key])
        if problem:
            raise ma.ValidationError(problem, lon_key)


def check_optional_point(data: dict[str, Any]) -> None:
    """For updates: lon and lat come together or not at all, and lie in China."""
    if ("lon" in data) != ("lat" in data):
        raise ma.ValidationError("give both lon and lat, or neither", "lon")
    check_point(data)


class Personal(ma.fields.Field[Any]):
    """A personal field, shown whole, masked or not at all as ``dispatch.privacy.RULES`` says
    for the caller's role; a whole value is recorded (``subject`` names whose it is)."""

    def __init__(self, what: Field, subject: Callable[[Any], Subject], **kwargs: Any) -> None:
        about = {"type": "string", "description": f"{what.value}: whole, masked or null by role"}
        super().__init__(metadata=about | kwargs.pop("metadata", {}), **kwargs)
        self.what = what
        self.subject = subject

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return show(current_scope().role, self.what, value, self.subject(obj))


class HoursField(ma.fields.Dict):
    """Weekly hours: {"1": [["08:30","12:00"],["14:30","17:30"]], ...} with isoweekday keys."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        value = super()._deserialize(value, attr, data, **kwargs)  # type: ignore[no-untyped-call]
        try:
            parse_weekly_hours(value)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from exc
        return value


def validate_recent(value: Any) -> None:
    """A reported moment (a stop done, a hand-over) lies in the last 30 days, not the future.

    Offline phones sync late, but never months late; absurd dates are a typo or a bad clock.
    """
    now = datetime.now(UTC)
    if not (now - timedelta(days=30) <= value <= now + timedelta(minutes=10)):
        raise ma.ValidationError("时间须在最近30天内 / must be within the last 30 days, not ahead")


class StatusLabel(ma.fields.Function):
    """The status's label in both languages, from the one table (``models.status_labels``)."""

    def __init__(self, kind: str, attribute: str = "status") -> None:
        super().__init__(
            lambda obj: status_label(kind, ma.utils.get_value(obj, attribute)),
            metadata={
                "type": "object",
                "description": f"The {kind}'s status as people read it: {{zh, en}}",
            },
        )
