import marshmallow as ma
from marshmallow import validate

from dispatch.api.appointments.schemas import AppointmentSchema
from dispatch.api.common import StrictSchema

ID = validate.Range(min=1, max=2**31 - 1)


class SlotArgsSchema(StrictSchema):
    applicant_id = ma.fields.Integer(required=True, validate=ID)
    date = ma.fields.Date(required=True)
    case_id = ma.fields.Integer(validate=ID)
    # The service before its case is registered: an in-person one needs the ride home too.
    item_code = ma.fields.String(validate=validate.Length(1, 40))


class SlotSchema(ma.Schema):
    start = ma.fields.AwareDateTime()
    end = ma.fields.AwareDateTime()
    label = ma.fields.String()
    available = ma.fields.Boolean()


class BookSchema(StrictSchema):
    applicant_id = ma.fields.Integer(required=True, validate=ID)
    date = ma.fields.Date(required=True)
    slot = ma.fields.String(required=True, validate=validate.Length(1, 20))
    case_id = ma.fields.Integer(validate=ID)


class CancelSchema(StrictSchema):
    reason = ma.fields.String(load_default="", validate=validate.Length(max=200))


class BookingSchema(AppointmentSchema):
    """An appointment as booked, with the reference the villager is given."""

    reference = ma.fields.Function(lambda a: f"YY{a.id:06d}")
    # The re-plan the booking or cancellation started; poll GET /api/jobs/<id>.
    replan_job = ma.fields.Function(
        lambda b: {"id": b.replan_job.id, "status": b.replan_job.status} if b.replan_job else None
    )
