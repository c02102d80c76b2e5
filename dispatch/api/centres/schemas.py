from datetime import date

import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import (
    REGION_CODE,
    HoursField,
    Lat,
    Lon,
    StrictSchema,
    check_optional_point,
    check_point,
)
from dispatch.models.centres import CentreKind

KINDS = [k.value for k in CentreKind]
# Before 1970 Asia/Shanghai had odd historical offsets; the working calendar is recent anyway.
CALENDAR = validate.Range(date(2000, 1, 1), date(2099, 12, 31), error="a date in 2000-2099")


class ClosedDaySchema(ma.Schema):
    day = ma.fields.Date()
    reason = ma.fields.String()


class CentreSchema(ma.Schema):
    id = ma.fields.Integer()
    region_code = ma.fields.Function(lambda c: c.region.code)
    kind = ma.fields.String()
    name = ma.fields.String()
    address = ma.fields.String()
    lon = ma.fields.Float()
    lat = ma.fields.Float()
    opening_hours = ma.fields.Dict()
    follows_holidays = ma.fields.Boolean()
    closed_days = ma.fields.List(ma.fields.Nested(ClosedDaySchema))


class CentreCreateSchema(StrictSchema):
    region = ma.fields.String(required=True, validate=REGION_CODE)
    kind = ma.fields.String(required=True, validate=validate.OneOf(KINDS))
    name = ma.fields.String(required=True, validate=validate.Length(1, 120))
    address = ma.fields.String(load_default="", validate=validate.Length(max=200))
    lon = Lon
    lat = Lat
    opening_hours = HoursField()
    follows_holidays = ma.fields.Boolean()

    @ma.validates_schema
    def _in_china(self, data, **kwargs):
        check_point(data)


class CentreUpdateSchema(StrictSchema):
    name = ma.fields.String(validate=validate.Length(1, 120))
    address = ma.fields.String(validate=validate.Length(max=200))
    lon = ma.fields.Float(validate=validate.Range(-180, 180))
    lat = ma.fields.Float(validate=validate.Range(-90, 90))
    opening_hours = HoursField()
    follows_holidays = ma.fields.Boolean()

    @ma.validates_schema
    def _in_china(self, data, **kwargs):
        check_optional_point(data)


class CentreQueryArgsSchema(StrictSchema):
    kind = ma.fields.String(validate=validate.OneOf(KINDS))
    region = ma.fields.String(validate=REGION_CODE)


class ClosedDayCreateSchema(StrictSchema):
    day = ma.fields.Date(required=True, validate=CALENDAR)
    reason = ma.fields.String(load_default="", validate=validate.Length(max=200))


class DayArgsSchema(StrictSchema):
    day = ma.fields.Date(required=True, validate=CALENDAR)


class DateArgsSchema(StrictSchema):
    date = ma.fields.Date(required=True, validate=CALENDAR)


class SpanSchema(ma.Schema):
    start = ma.fields.AwareDateTime()
    end = ma.fields.AwareDateTime()
