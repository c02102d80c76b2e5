import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import REGION_CODE, ROW_ID, StrictSchema
from dispatch.models.users import Role
from dispatch.privacy import mask_phone

ROLES = [r.value for r in Role]


class UserSchema(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String()
    role = ma.fields.String()
    region_code = ma.fields.Function(lambda u: u.region.code if u.region else None, allow_none=True)
    agent_id = ma.fields.Integer(allow_none=True)
    # Masked even for the admin: whole phones are read (and recorded) where they are needed.
    phone = ma.fields.Function(lambda u: mask_phone(u.phone) if u.phone else "")
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
    phone = ma.fields.String(
        load_default="", metadata={"description": "mobile for the SMS staff get; optional"}
    )


class UserUpdateSchema(StrictSchema):
    phone = ma.fields.String(
        required=True, metadata={"description": 'mobile for the SMS staff get; "" clears it'}
    )


class UserQueryArgsSchema(StrictSchema):
    role = ma.fields.String(validate=validate.OneOf(ROLES))
    active = ma.fields.Boolean()
