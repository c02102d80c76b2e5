import marshmallow as ma

from dispatch.api.common import StrictSchema


class AssessmentArgsSchema(StrictSchema):
    year = ma.fields.Integer(required=True, validate=ma.validate.Range(2020, 2100))


class AssessmentSchema(ma.Schema):
    year = ma.fields.Integer()
    deadline = ma.fields.Date()
    demo = ma.fields.Boolean()
    note = ma.fields.String()
    weights = ma.fields.Dict()
    units = ma.fields.List(ma.fields.Dict())
    subsidy_total = ma.fields.Integer()
