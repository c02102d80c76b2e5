import marshmallow as ma
from marshmallow import validate

from dispatch.api.applicants.schemas import ApplicantUpdateSchema
from dispatch.api.common import StrictSchema

REASON = ma.fields.String(
    required=True,
    validate=validate.Length(1, 200),
    metadata={"description": "the person's request (who asked, how, when)"},
)


class CorrectionSchema(ApplicantUpdateSchema):
    reason = REASON


class ErasureSchema(StrictSchema):
    reason = REASON
