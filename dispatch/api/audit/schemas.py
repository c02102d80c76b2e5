import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import ROW_ID, StrictSchema
from dispatch.services.access_records import FIELDS


class AccessQueryArgsSchema(StrictSchema):
    applicant_id = ma.fields.Integer(validate=ROW_ID, metadata={"description": "whose data"})
    agent_id = ma.fields.Integer(validate=ROW_ID, metadata={"description": "an agent's data"})
    user = ma.fields.String(
        validate=validate.Length(1, 60), metadata={"description": "who read (username)"}
    )
    field = ma.fields.String(validate=validate.OneOf(FIELDS))
    date_from = ma.fields.Date(metadata={"description": "from this day (CST), inclusive"})
    date_to = ma.fields.Date(metadata={"description": "to this day (CST), inclusive"})


class AccessRecordSchema(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.AwareDateTime()
    user_id = ma.fields.Integer()
    username = ma.fields.String()
    role = ma.fields.String()
    subject_kind = ma.fields.String()
    subject_id = ma.fields.Integer()
    region_code = ma.fields.String()
    # Not "fields": that name is the Schema's own.
    read_fields = ma.fields.List(ma.fields.String(), attribute="field_list", data_key="fields")
    endpoint = ma.fields.String()
    purpose = ma.fields.String()
    request_id = ma.fields.String()
