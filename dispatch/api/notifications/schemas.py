import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import Personal, StatusLabel, StrictSchema
from dispatch.privacy import Field, recipient_subject


class DeviceSchema(StrictSchema):
    token = ma.fields.String(required=True, validate=validate.Length(10, 400))
    platform = ma.fields.String(
        required=True,
        validate=validate.OneOf(
            ["android", "ios", "web", "huawei", "xiaomi", "oppo", "vivo", "jpush", "getui"]
        ),
    )
    app_version = ma.fields.String(load_default="", validate=validate.Length(max=20))


class DeviceOutSchema(ma.Schema):
    id = ma.fields.Integer()
    agent_id = ma.fields.Integer()
    platform = ma.fields.String()
    app_version = ma.fields.String()
    last_seen_at = ma.fields.AwareDateTime()


class AttemptSchema(ma.Schema):
    at = ma.fields.AwareDateTime()
    status = ma.fields.String()
    provider_message_id = ma.fields.String()
    error = ma.fields.String()


class MessageSchema(ma.Schema):
    id = ma.fields.String()
    kind = ma.fields.String()
    channel = ma.fields.String()
    recipient_kind = ma.fields.String()
    recipient_id = ma.fields.Integer()
    phone = Personal(Field.RECIPIENT_PHONE, recipient_subject)
    variables = ma.fields.Dict()
    status = ma.fields.String()
    status_label = StatusLabel("outbox")
    attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.AwareDateTime()
    provider_message_id = ma.fields.String()
    last_error = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    sent_at = ma.fields.AwareDateTime(allow_none=True)
    acked_at = ma.fields.AwareDateTime(allow_none=True)
    fallback_of = ma.fields.String(allow_none=True)
    attempt_log = ma.fields.List(ma.fields.Nested(AttemptSchema))


class OutboxArgsSchema(StrictSchema):
    status = ma.fields.String(validate=validate.OneOf(["pending", "sent", "dead"]))
    channel = ma.fields.String(validate=validate.OneOf(["push", "sms", "log"]))
