import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import (
    ROW_ID,
    StrictSchema,
    names_field,
    note_field,
    photo_field,
    signature_field,
    validate_recent,
)
from dispatch.models.entrustments import CapturedAt, Covers
from dispatch.services.cases import today_cst


def reason_field() -> ma.fields.String:
    return ma.fields.String(required=True, validate=validate.Length(1, 2000))


class EntrustmentSchema(ma.Schema):
    id = ma.fields.Integer()
    case_id = ma.fields.Integer()
    agent_id = ma.fields.Integer()
    agent_name = ma.fields.Function(lambda e: e.agent.name)
    materials = ma.fields.List(ma.fields.String())
    valid_until = ma.fields.Date()
    captured_at = ma.fields.String()
    covers = ma.fields.String()
    signed_at = ma.fields.AwareDateTime()
    has_signature = ma.fields.Function(lambda e: bool(e.signature_hash))
    has_thumbprint = ma.fields.Function(lambda e: bool(e.thumbprint_hash))
    revoked_at = ma.fields.AwareDateTime(allow_none=True)
    revoke_reason = ma.fields.String()
    in_force = ma.fields.Function(
        lambda e: e.in_force(today_cst()),
        metadata={"type": "boolean", "description": "Not revoked and not run out"},
    )


class EntrustmentCreateSchema(StrictSchema):
    agent_id = ma.fields.Integer(
        validate=ROW_ID, metadata={"description": "The entrusted agent; on the phone, yourself"}
    )
    materials = names_field(required=True, least=1, most=50)
    valid_until = ma.fields.Date(required=True)
    captured_at = ma.fields.String(
        required=True, validate=validate.OneOf([c.value for c in CapturedAt])
    )
    covers = ma.fields.String(
        load_default=Covers.AGENT.value,
        validate=validate.OneOf([c.value for c in Covers]),
        metadata={
            "description": "agent: only the agent named may take the documents (委托代办员某某); "
            "township: any agent of the case's township (委托本镇代办员)"
        },
    )
    signed_at = ma.fields.AwareDateTime(
        validate=validate_recent,
        metadata={
            "description": "When the villager signed, by the phone's clock (a capture made "
            "offline syncs later); default: now"
        },
    )
    signature_png = signature_field()
    thumbprint_jpeg = photo_field()


class ReasonSchema(StrictSchema):
    reason = reason_field()


class NoteSchema(StrictSchema):
    note = note_field()


class OnSiteSchema(NoteSchema):
    signature_png = signature_field()


class SupplementRequestSchema(NoteSchema):
    missing = names_field(required=True, least=1)


class SupplementReceivedSchema(NoteSchema):
    items = names_field(required=True, least=1)


class RefusalSchema(ReasonSchema):
    kind = ma.fields.String(
        required=True,
        validate=validate.OneOf(["not_accepted", "not_permitted"]),
        metadata={"description": "not_accepted: 不予受理; not_permitted: 不予许可"},
    )
    legal_basis = ma.fields.String(
        required=True,
        validate=validate.Length(1, 500),
        metadata={"description": "The law and article the refusal rests on"},
    )
