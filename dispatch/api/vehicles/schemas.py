import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import ROW_ID, StrictSchema
from dispatch.models.agents import VehicleKind

KINDS = [k.value for k in VehicleKind]


class VehicleSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    plate = ma.fields.String()
    seats = ma.fields.Integer()
    bag_capacity = ma.fields.Integer()
    home_centre_id = ma.fields.Integer()
    active = ma.fields.Boolean()


class VehicleUpdateSchema(StrictSchema):
    kind = ma.fields.String(validate=validate.OneOf(KINDS))
    plate = ma.fields.String(validate=validate.Length(max=16))
    seats = ma.fields.Integer(validate=validate.Range(0, 9))
    bag_capacity = ma.fields.Integer(validate=validate.Range(1, 500))
    home_centre_id = ma.fields.Integer(validate=ROW_ID)
    active = ma.fields.Boolean()


class VehicleCreateSchema(VehicleUpdateSchema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(KINDS))
    home_centre_id = ma.fields.Integer(required=True, validate=ROW_ID)


class VehicleQueryArgsSchema(StrictSchema):
    kind = ma.fields.String(validate=validate.OneOf(KINDS))
    active = ma.fields.Boolean()
    centre = ma.fields.Integer(validate=ROW_ID)
