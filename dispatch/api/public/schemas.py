import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import StatusLabel, StrictSchema


class LookupArgsSchema(StrictSchema):
    # Loose on purpose: any wrong reference or phone is the same 404, whatever its shape.
    reference = ma.fields.String(required=True, validate=validate.Length(1, 40))
    phone = ma.fields.String(required=True, validate=validate.Length(1, 40))


class ChainStepSchema(ma.Schema):
    at = ma.fields.AwareDateTime()
    receipt_no = ma.fields.String()
    from_holder = ma.fields.String()
    to_holder = ma.fields.String()


class LookupSchema(ma.Schema):
    reference = ma.fields.String()
    item = ma.fields.String()
    item_en = ma.fields.String()
    status = ma.fields.String()
    status_label = StatusLabel("case")
    registered_at = ma.fields.AwareDateTime()
    due_date = ma.fields.Date()
    predicted_date = ma.fields.Date(allow_none=True)
    dates_estimated = ma.fields.Boolean(
        metadata={"description": "A date reaches a year with no holiday notice: Mon–Fri guess"}
    )
    dates_note = ma.fields.String(metadata={"description": "Why, in Chinese and English"})
    holder = ma.fields.String()
    missing_notice = ma.fields.String()
    chain = ma.fields.List(ma.fields.Nested(ChainStepSchema))
