import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import REGION_CODE, StrictSchema


class RegisterArgsSchema(StrictSchema):
    township = ma.fields.String(
        required=True, validate=REGION_CODE, metadata={"description": "a township's 12-digit code"}
    )


class RegisterItemSchema(ma.Schema):
    item = ma.fields.String()
    zh = ma.fields.String()
    en = ma.fields.String()
    completed_on = ma.fields.Date(allow_none=True)
    note = ma.fields.String()
    updated_at = ma.fields.AwareDateTime(allow_none=True)
    updated_by_id = ma.fields.Integer(allow_none=True)


class PlaceSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    level = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(RegisterItemSchema))
    missing = ma.fields.List(ma.fields.String())


class TownshipRegisterSchema(ma.Schema):
    township = ma.fields.Nested(PlaceSchema)
    villages = ma.fields.List(ma.fields.Nested(PlaceSchema))
    complete = ma.fields.Boolean()


class RecordItemSchema(StrictSchema):
    completed_on = ma.fields.Date(
        required=True, allow_none=True, metadata={"description": "null: not done (yet)"}
    )
    note = ma.fields.String(load_default="", validate=validate.Length(max=500))


class RecordedSchema(PlaceSchema):
    item = ma.fields.Nested(RegisterItemSchema)
