import marshmallow as ma

from dispatch.api.common import ROW_ID, StrictSchema


class HandoverArgsSchema(StrictSchema):
    seq = ma.fields.Integer(
        validate=ROW_ID, metadata={"description": "Which hand-over; default the last"}
    )


class RouteSheetArgsSchema(StrictSchema):
    day = ma.fields.Date(required=True, metadata={"description": "The plan's day (CST)"})
