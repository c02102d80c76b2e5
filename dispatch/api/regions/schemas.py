import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import Lat, Lon, StrictSchema, check_point


class RegionSchema(ma.Schema):
    code = ma.fields.String()
    short_code = ma.fields.String()
    name = ma.fields.String()
    level = ma.fields.String()
    subtype = ma.fields.String()
    parent_code = ma.fields.Function(lambda r: r.parent.code if r.parent else None)
    lon = ma.fields.Float(allow_none=True)
    lat = ma.fields.Float(allow_none=True)
    coord_source = ma.fields.String(allow_none=True)


class RegionQueryArgsSchema(StrictSchema):
    level = ma.fields.String(validate=validate.OneOf(["city", "county", "township", "village"]))
    parent = ma.fields.String(validate=validate.Regexp(r"^\d{12}$"))
    q = ma.fields.String(validate=validate.Length(1, 40))


class SurveyPointSchema(StrictSchema):
    lon = Lon
    lat = Lat

    @ma.validates_schema
    def _in_china(self, data, **kwargs):
        check_point(data)
