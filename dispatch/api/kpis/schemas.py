import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import StrictSchema
from dispatch.services.kpis import LEVELS


class KpiArgsSchema(StrictSchema):
    level = ma.fields.String(load_default="township", validate=validate.OneOf(LEVELS))
    period = ma.fields.String(
        required=True,
        validate=validate.Length(4, 10),
        metadata={"description": "2026-11-25 (day), 2026-W48 (week), 2026-11 (month), 2026"},
    )
    format = ma.fields.String(load_default="json", validate=validate.OneOf(["json", "xlsx"]))


class PeriodSchema(ma.Schema):
    kind = ma.fields.String()
    label = ma.fields.String()
    start = ma.fields.Date()
    end = ma.fields.Date()


class UnitKpiSchema(ma.Schema):
    unit = ma.fields.Dict()
    cases = ma.fields.Dict()
    visits = ma.fields.Dict()
    custody = ma.fields.Dict()
    dispatch = ma.fields.Dict()
    satisfaction = ma.fields.Dict()


class KpiSchema(ma.Schema):
    level = ma.fields.String()
    period = ma.fields.Nested(PeriodSchema)
    as_of = ma.fields.AwareDateTime()
    units = ma.fields.List(ma.fields.Nested(UnitKpiSchema))
