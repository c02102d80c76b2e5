from collections.abc import Callable
from typing import Any

import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import StrictSchema

LEVELS = ["village", "township", "county", "city"]


class MaterialSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=validate.Length(1, 120))
    name_en = ma.fields.String(validate=validate.Length(max=200))
    copies = ma.fields.Integer(required=True, validate=validate.Range(1, 99))
    original = ma.fields.Boolean(required=True)


def _distinct_names(materials):
    names = [m["name"] for m in materials]
    if len(names) != len(set(names)):
        raise ma.ValidationError("each material is listed once (names repeat)")


MATERIALS_VALIDATORS: list[Callable[[Any], Any]] = [validate.Length(max=40), _distinct_names]


class MaterialOutSchema(ma.Schema):
    name = ma.fields.String()
    name_en = ma.fields.String()
    copies = ma.fields.Integer()
    original = ma.fields.Boolean()


class ItemSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String()
    level = ma.fields.String()
    in_person = ma.fields.Boolean()
    materials = ma.fields.List(ma.fields.Nested(MaterialOutSchema))
    promised_days = ma.fields.Integer()
    counter_minutes = ma.fields.Integer()
    fee_yuan = ma.fields.Float()
    guide = ma.fields.String()
    is_demo = ma.fields.Boolean()
    active = ma.fields.Boolean()


class ItemUpdateSchema(StrictSchema):
    name = ma.fields.String(validate=validate.Length(1, 120))
    name_en = ma.fields.String(validate=validate.Length(max=160))
    level = ma.fields.String(validate=validate.OneOf(LEVELS))
    in_person = ma.fields.Boolean()
    materials = ma.fields.List(ma.fields.Nested(MaterialSchema), validate=MATERIALS_VALIDATORS)
    promised_days = ma.fields.Integer(validate=validate.Range(0, 365))
    # The business at the counter, in person: at least a quarter hour, at most half a day.
    counter_minutes = ma.fields.Integer(
        validate=validate.Range(15, 240, error="15 到 240 分钟 / between 15 and 240 minutes")
    )
    fee_yuan = ma.fields.Float(validate=validate.Range(0, 99_999))
    guide = ma.fields.String(validate=validate.Length(max=20_000))
    active = ma.fields.Boolean()


class ItemCreateSchema(ItemUpdateSchema):
    code = ma.fields.String(
        required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
    )
    name = ma.fields.String(required=True, validate=validate.Length(1, 120))
    level = ma.fields.String(required=True, validate=validate.OneOf(LEVELS))
    promised_days = ma.fields.Integer(required=True, validate=validate.Range(0, 365))
    materials = ma.fields.List(
        ma.fields.Nested(MaterialSchema), load_default=list, validate=MATERIALS_VALIDATORS
    )


class ItemQueryArgsSchema(StrictSchema):
    level = ma.fields.String(validate=validate.OneOf(LEVELS))
    in_person = ma.fields.Boolean()
    active = ma.fields.Boolean()
    q = ma.fields.String(validate=validate.Length(1, 40))
