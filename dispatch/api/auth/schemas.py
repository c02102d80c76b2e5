import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import StrictSchema


class LoginSchema(StrictSchema):
    username = ma.fields.String(required=True, validate=validate.Length(1, 60))
    password = ma.fields.String(required=True, validate=validate.Length(1, 200), load_only=True)


class TokenSchema(ma.Schema):
    access_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_at = ma.fields.AwareDateTime()
    role = ma.fields.String()
    region_code = ma.fields.String(allow_none=True)
    agent_id = ma.fields.Integer(allow_none=True)


class MeSchema(ma.Schema):
    user_id = ma.fields.Integer()
    username = ma.fields.String()
    role = ma.fields.String()
    prefix = ma.fields.String()
    agent_id = ma.fields.Integer(allow_none=True)
