import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import ROW_ID, StatusLabel, StrictSchema
from dispatch.models.agents import AppointmentStatus

STATUSES = [s.value for s in AppointmentStatus]


class AppointmentSchema(ma.Schema):
    id = ma.fields.Integer()
    applicant_id = ma.fields.Integer()
    case_id = ma.fields.Integer(allow_none=True)
    window_start = ma.fields.AwareDateTime()
    window_end = ma.fields.AwareDateTime()
    status = ma.fields.String()
    status_label = StatusLabel("booking")
    note = ma.fields.String()
    created_at = ma.fields.AwareDateTime()


class AppointmentUpdateSchema(StrictSchema):
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    note = ma.fields.String(validate=validate.Length(max=200))


class AppointmentQueryArgsSchema(StrictSchema):
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    applicant = ma.fields.Integer(validate=ROW_ID)
    case = ma.fields.Integer(validate=ROW_ID)
    starts_after = ma.fields.AwareDateTime()
    starts_before = ma.fields.AwareDateTime()
