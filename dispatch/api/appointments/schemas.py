import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import ROW_ID, StrictSchema
from dispatch.models.agents import AppointmentStatus

STATUSES = [s.value for s in AppointmentStatus]


class AppointmentSchema(ma.Schema):
    id = ma.fields.Integer()
    applicant_id = ma.fields.Integer()
    case_id = ma.fields.Integer(allow_none=True)
    window_start = ma.fields.AwareDateTime()
    window_end = ma.fields.AwareDateTime()
    status = ma.fields.String()
    note = ma.fields.String()
    created_at = ma.fields.AwareDateTime()


class AppointmentCreateSchema(StrictSchema):
    applicant_id = ma.fields.Integer(required=True, validate=ROW_ID)
    case_id = ma.fields.Integer(validate=ROW_ID)
    window_start = ma.fields.AwareDateTime(required=True)
    window_end = ma.fields.AwareDateTime(required=True)
    note = ma.fields.String(load_default="", validate=validate.Length(max=200))

    @ma.validates_schema
    def _ordered(self, data, **kwargs):
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and start >= end:
            raise ma.ValidationError("must be after window_start", "window_end")


class AppointmentUpdateSchema(StrictSchema):
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    note = ma.fields.String(validate=validate.Length(max=200))


class AppointmentQueryArgsSchema(StrictSchema):
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    applicant = ma.fields.Integer(validate=ROW_ID)
    case = ma.fields.Integer(validate=ROW_ID)
    starts_after = ma.fields.AwareDateTime()
    starts_before = ma.fields.AwareDateTime()
