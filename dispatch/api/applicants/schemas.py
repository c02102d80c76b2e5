import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import (
    REGION_CODE,
    Personal,
    StrictSchema,
    check_optional_point,
    validate_id_number,
    validate_mobile,
)
from dispatch.privacy import Field, applicant_subject

VILLAGE = REGION_CODE


class ApplicantSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    phone = Personal(Field.PHONE, applicant_subject)
    id_number = Personal(Field.ID_NUMBER, applicant_subject)
    village_code = ma.fields.Function(lambda a: a.village.code)
    village_name = ma.fields.Function(lambda a: a.village.name)
    address = Personal(Field.ADDRESS, applicant_subject)
    lon = Personal(Field.HOME_POINT, applicant_subject, metadata={"type": "number"})
    lat = Personal(Field.HOME_POINT, applicant_subject, metadata={"type": "number"})
    vulnerable = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()


class ApplicantUpdateSchema(StrictSchema):
    name = ma.fields.String(validate=validate.Length(1, 60))
    phone = ma.fields.String(validate=validate_mobile)
    id_number = ma.fields.String(validate=validate_id_number)
    village = ma.fields.String(validate=VILLAGE)
    address = ma.fields.String(validate=validate.Length(max=200))
    lon = ma.fields.Float(validate=validate.Range(-180, 180))
    lat = ma.fields.Float(validate=validate.Range(-90, 90))
    vulnerable = ma.fields.Boolean()

    @ma.validates_schema
    def _in_china(self, data, **kwargs):
        check_optional_point(data)


class ApplicantCreateSchema(ApplicantUpdateSchema):
    name = ma.fields.String(required=True, validate=validate.Length(1, 60))
    phone = ma.fields.String(required=True, validate=validate_mobile)
    id_number = ma.fields.String(required=True, validate=validate_id_number)
    village = ma.fields.String(required=True, validate=VILLAGE)
    address = ma.fields.String(load_default="", validate=validate.Length(max=200))
    lon = ma.fields.Float(required=True, validate=validate.Range(-180, 180))
    lat = ma.fields.Float(required=True, validate=validate.Range(-90, 90))
    vulnerable = ma.fields.Boolean(load_default=False)


class ApplicantQueryArgsSchema(StrictSchema):
    village = ma.fields.String(validate=VILLAGE)
    vulnerable = ma.fields.Boolean()
    q = ma.fields.String(validate=validate.Length(1, 60))
