import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import (
    REGION_CODE,
    ROW_ID,
    Personal,
    StrictSchema,
    validate_mobile,
)
from dispatch.hours import parse_shift
from dispatch.models.agents import AgentLevel
from dispatch.privacy import Field, agent_subject

LEVELS = [lv.value for lv in AgentLevel]


class ShiftField(ma.fields.Dict):
    """A weekly shift: {"1": ["08:00", "18:00"], ...} with isoweekday keys."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        try:
            parse_shift(value)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from exc
        return value


class AgentSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    phone = Personal(Field.AGENT_PHONE, agent_subject)
    level = ma.fields.String()
    region_code = ma.fields.Function(lambda a: a.region.code)
    zone = ma.fields.Function(lambda a: [v.code for v in a.zone])
    vehicle_id = ma.fields.Integer(allow_none=True)
    shift = ma.fields.Dict()
    active = ma.fields.Boolean()


class AgentUpdateSchema(StrictSchema):
    name = ma.fields.String(validate=validate.Length(1, 60))
    phone = ma.fields.String(validate=validate_mobile)
    level = ma.fields.String(validate=validate.OneOf(LEVELS))
    region = ma.fields.String(validate=REGION_CODE)
    zone = ma.fields.List(ma.fields.String(validate=REGION_CODE), validate=validate.Length(max=200))
    vehicle_id = ma.fields.Integer(allow_none=True, validate=ROW_ID)
    shift = ShiftField()
    active = ma.fields.Boolean()


class AgentCreateSchema(AgentUpdateSchema):
    name = ma.fields.String(required=True, validate=validate.Length(1, 60))
    phone = ma.fields.String(required=True, validate=validate_mobile)
    level = ma.fields.String(required=True, validate=validate.OneOf(LEVELS))
    region = ma.fields.String(required=True, validate=REGION_CODE)
    zone = ma.fields.List(
        ma.fields.String(validate=REGION_CODE), load_default=list, validate=validate.Length(max=200)
    )


class AgentQueryArgsSchema(StrictSchema):
    level = ma.fields.String(validate=validate.OneOf(LEVELS))
    active = ma.fields.Boolean()
    village = ma.fields.String(validate=REGION_CODE)
