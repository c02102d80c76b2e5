import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import REGION_CODE, ROW_ID, StrictSchema
from dispatch.models.users import Role

ROLES = [r.value for r in Role]


class UserSchema(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String()
    role = ma.fields.String()
    region_code = ma.fields.Function(lambda u: u.region.code if u.region else None, allow_none=True)
    agent_id = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()


class UserCreateSchema(StrictSchema):
    username = ma.fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9_.@-]{3,60}$", error="3-60 letters, digits or _.@-"),
    )
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(8, 200))
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES))
    region = ma.fields.String(validate=REGION_CODE, data_key="region")
    agent_id = ma.fields.Integer(validate=ROW_ID)


class UserQueryArgsSchema(StrictSchema):
    role = ma.fields.String(validate=validate.OneOf(ROLES))
    active = ma.fields.Boolean()
