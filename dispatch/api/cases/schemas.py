from typing import Any

import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import (
    Lat,
    Lon,
    StatusLabel,
    StrictSchema,
    check_point,
    names_field,
    note_field,
    photo_field,
    signature_field,
    validate_recent,
)
from dispatch.models.cases import Channel, HolderKind, Status
from dispatch.services.cases import date_basis

STATUSES = [s.value for s in Status]


def risk_of(case: Any) -> str:
    """late: predicted after the promise; tight: on the promised day; else ok."""
    if case.predicted_date is None or case.status in ("closed", "cancelled", "delivered"):
        return "ok"
    if case.predicted_date > case.due_date:
        return "late"
    return "tight" if case.predicted_date == case.due_date else "ok"


class StatusChangeSchema(ma.Schema):
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String()
    at = ma.fields.AwareDateTime(validate=validate_recent)
    note = ma.fields.String()


class CustodyEventSchema(ma.Schema):
    id = ma.fields.Integer()
    seq = ma.fields.Integer()
    receipt_no = ma.fields.String()
    from_kind = ma.fields.String()
    from_id = ma.fields.Integer()
    to_kind = ma.fields.String()
    to_id = ma.fields.Integer()
    centre_id = ma.fields.Integer(allow_none=True)
    lon = ma.fields.Float(allow_none=True)
    lat = ma.fields.Float(allow_none=True)
    at = ma.fields.AwareDateTime()
    items = ma.fields.List(ma.fields.String())
    has_signature = ma.fields.Function(lambda e: bool(e.signature_hash))
    note = ma.fields.String()


class CaseSchema(ma.Schema):
    id = ma.fields.Integer()
    reference = ma.fields.String()
    applicant_id = ma.fields.Integer()
    applicant_name = ma.fields.Function(lambda c: c.applicant.name)
    item_code = ma.fields.Function(lambda c: c.item.code)
    item_name = ma.fields.Function(lambda c: c.item.name)
    decided_at_level = ma.fields.Function(lambda c: c.item.level)
    in_person = ma.fields.Function(lambda c: c.item.in_person)
    village_code = ma.fields.Function(lambda c: c.village.code)
    channel = ma.fields.String()
    status = ma.fields.String()
    status_label = StatusLabel("case")
    registered_at = ma.fields.AwareDateTime()
    due_date = ma.fields.Date()
    promised_days = ma.fields.Integer(allow_none=True)  # working days promised at acceptance
    predicted_date = ma.fields.Date(allow_none=True)
    risk = ma.fields.Function(lambda c: risk_of(c))
    dates_estimated = ma.fields.Function(
        lambda c: date_basis(c)["dates_estimated"],
        metadata={"type": "boolean", "description": "A date rests on the Mon–Fri guess"},
    )
    dates_note = ma.fields.Function(
        lambda c: date_basis(c)["dates_note"],
        metadata={"type": "string", "description": "Why, in Chinese and English"},
    )
    waiting_reason = ma.fields.String()
    urgent = ma.fields.Boolean()
    missing_notice = ma.fields.String()
    note = ma.fields.String()
    holder_kind = ma.fields.String()
    holder_id = ma.fields.Integer()
    # The promise's clock: stopped since (补正, 中止), and the working days it already stood.
    clock_stopped = ma.fields.Function(
        lambda c: c.paused_since is not None, metadata={"type": "boolean"}
    )
    paused_since = ma.fields.AwareDateTime(allow_none=True)
    paused_days = ma.fields.Integer()
    resume_status = ma.fields.String(allow_none=True)
    refusal_kind = ma.fields.String()
    refusal_reason = ma.fields.String()
    version = ma.fields.Integer()


class CaseDetailSchema(CaseSchema):
    history = ma.fields.List(ma.fields.Nested(StatusChangeSchema))
    custody = ma.fields.List(ma.fields.Nested(CustodyEventSchema))
    materials = ma.fields.Function(lambda c: c.item.materials)


class CaseCreateSchema(StrictSchema):
    applicant_id = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    item_code = ma.fields.String(required=True, validate=validate.Length(1, 40))
    channel = ma.fields.String(required=True, validate=validate.OneOf([c.value for c in Channel]))
    note = note_field()
    urgent = ma.fields.Boolean(load_default=False)


class CaseQueryArgsSchema(StrictSchema):
    reference = ma.fields.String(
        validate=validate.Length(1, 40),
        metadata={"description": "The reference number (受理编号), as printed on the forms"},
    )
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    village = ma.fields.String(validate=validate.Regexp(r"^\d{6,12}$"))
    item = ma.fields.String(validate=validate.Length(1, 40))
    open_only = ma.fields.Boolean()
    overdue_before = ma.fields.Date()
    at_risk = ma.fields.Boolean()


class TransitionSchema(StrictSchema):
    to = ma.fields.String(required=True, validate=validate.OneOf(STATUSES))
    note = note_field()
    missing = names_field()


class HandOverSchema(StrictSchema):
    to_kind = ma.fields.String(
        required=True, validate=validate.OneOf([k.value for k in HolderKind])
    )
    to_id = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    at = ma.fields.AwareDateTime()
    centre_id = ma.fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    lon = Lon
    lat = Lat
    items = names_field(most=50)
    signature_png = signature_field()
    photo_jpeg = photo_field()
    note = note_field()
    idempotency_key = ma.fields.String(validate=validate.Length(8, 64))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lon"].required = False
        self.fields["lat"].required = False

    @ma.validates_schema
    def _point(self, data, **kwargs):
        if ("lon" in data) != ("lat" in data):
            raise ma.ValidationError("give both lon and lat, or neither", "lon")
        check_point(data)
