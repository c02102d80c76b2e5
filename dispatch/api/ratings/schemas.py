import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import ROW_ID, StatusLabel, StrictSchema
from dispatch.models.ratings import LEVEL_NAMES, TAGS, Level
from dispatch.security import current_scope
from dispatch.services.ratings import KEY_OF, LEVEL_KEYS, shielded
from dispatch.services.rectification import appeal_overdue, is_overdue, today

LEVEL_FIELD = ma.fields.String(
    required=True,
    validate=validate.OneOf(list(LEVEL_KEYS)),
    metadata={"description": "非常满意 … 非常不满意; the bottom two are 差评"},
)
TAG_LIST = ma.fields.List(
    ma.fields.String(validate=validate.OneOf(TAGS)),
    load_default=list,
    validate=validate.Length(max=len(TAGS)),
)
COMMENT = ma.fields.String(load_default="", validate=validate.Length(max=500))


class RatePageSchema(ma.Schema):
    reference = ma.fields.String()
    item = ma.fields.String()
    item_en = ma.fields.String()
    centre = ma.fields.String()
    agent = ma.fields.String()
    delivered_on = ma.fields.Date()
    rated = ma.fields.Boolean()
    rated_level = ma.fields.String(allow_none=True)
    levels = ma.fields.List(ma.fields.Dict())
    tags = ma.fields.List(ma.fields.String())


class PublicRatingSchema(StrictSchema):
    token = ma.fields.String(required=True, validate=validate.Length(1, 120))
    level = LEVEL_FIELD
    comment = COMMENT
    tags = TAG_LIST


class RecordRatingSchema(StrictSchema):
    case_id = ma.fields.Integer(required=True, validate=ROW_ID)
    level = LEVEL_FIELD
    source = ma.fields.String(required=True, validate=validate.OneOf(["callback", "screen"]))
    comment = COMMENT
    tags = TAG_LIST


class RatingQueryArgsSchema(StrictSchema):
    bad_only = ma.fields.Boolean(load_default=False)


class RatingSchema(ma.Schema):
    id = ma.fields.Integer()
    level = ma.fields.Function(lambda r: KEY_OF[Level(r.level)])
    level_zh = ma.fields.Function(lambda r: LEVEL_NAMES[Level(r.level)][0])
    bad = ma.fields.Boolean()
    comment = ma.fields.String()
    tags = ma.fields.List(ma.fields.String())
    source = ma.fields.String()
    agent_id = ma.fields.Integer(allow_none=True)
    centre_id = ma.fields.Integer(allow_none=True)
    item_id = ma.fields.Integer()
    township_code = ma.fields.String()
    rated_at = ma.fields.AwareDateTime()
    removed_at = ma.fields.AwareDateTime(allow_none=True)
    removed_reason = ma.fields.String()
    # Who rated, for the township's call-back; left out for the rated agent (shielded).
    case_id = ma.fields.Integer()
    reference = ma.fields.Function(lambda r: r.case.reference)
    applicant_name = ma.fields.Function(lambda r: r.case.applicant.name)
    delivered_at = ma.fields.AwareDateTime()

    @ma.post_dump
    def _shield(self, data, **kwargs):
        if shielded(current_scope()):
            for key in ("case_id", "reference", "applicant_name", "delivered_at"):
                data.pop(key, None)
            data["rated_at"] = data["rated_at"][:10] if data.get("rated_at") else None
        return data


class RectificationSchema(ma.Schema):
    id = ma.fields.Integer()
    rating_id = ma.fields.Integer()
    township_code = ma.fields.String()
    status = ma.fields.String()
    status_label = StatusLabel("rectification")
    opened_at = ma.fields.AwareDateTime()
    verify_due = ma.fields.Date()
    close_due = ma.fields.Date()
    overdue = ma.fields.Function(lambda r: is_overdue(r, today()))
    verified_at = ma.fields.AwareDateTime(allow_none=True)
    verified_by_id = ma.fields.Integer(allow_none=True)
    finding = ma.fields.String(allow_none=True)
    verify_note = ma.fields.String()
    rectified_at = ma.fields.AwareDateTime(allow_none=True)
    rectified_by_id = ma.fields.Integer(allow_none=True)
    measures = ma.fields.String()
    callback_at = ma.fields.AwareDateTime(allow_none=True)
    callback_by_id = ma.fields.Integer(allow_none=True)
    callback_outcome = ma.fields.String(allow_none=True)
    callback_note = ma.fields.String()
    flagged_at = ma.fields.AwareDateTime(allow_none=True)
    flagged_stage = ma.fields.String(
        allow_none=True, metadata={"description": "verify or close: the late step"}
    )
    rating = ma.fields.Nested(RatingSchema)


class RectQueryArgsSchema(StrictSchema):
    overdue = ma.fields.Boolean(load_default=False)
    open = ma.fields.Boolean(load_default=False)


class VerifySchema(StrictSchema):
    finding = ma.fields.String(
        required=True,
        validate=validate.OneOf(["true", "false"]),
        metadata={"description": "true = 属实, false = 不属实"},
    )
    note = ma.fields.String(required=True, validate=validate.Length(1, 1000))


class RectifySchema(StrictSchema):
    measures = ma.fields.String(required=True, validate=validate.Length(1, 2000))


class CallbackSchema(StrictSchema):
    outcome = ma.fields.String(
        required=True, validate=validate.OneOf(["satisfied", "unsatisfied", "unreachable"])
    )
    note = ma.fields.String(load_default="", validate=validate.Length(max=1000))


class AppealCreateSchema(StrictSchema):
    reason = ma.fields.String(required=True, validate=validate.Length(1, 1000))


class AppealDecisionSchema(StrictSchema):
    decision = ma.fields.String(required=True, validate=validate.OneOf(["upheld", "removed"]))
    reason = ma.fields.String(required=True, validate=validate.Length(1, 1000))


class AppealQueryArgsSchema(StrictSchema):
    pending = ma.fields.Boolean(load_default=False)


class AppealSchema(ma.Schema):
    id = ma.fields.Integer()
    rating_id = ma.fields.Integer()
    filed_at = ma.fields.AwareDateTime()
    filed_by_id = ma.fields.Integer()
    filed_as = ma.fields.String()
    reason = ma.fields.String()
    status = ma.fields.String()
    decide_due = ma.fields.Date(allow_none=True)
    overdue = ma.fields.Function(lambda a: appeal_overdue(a, today()))
    decided_at = ma.fields.AwareDateTime(allow_none=True)
    decided_by_id = ma.fields.Integer(allow_none=True)
    decision_reason = ma.fields.String()


class ResultsArgsSchema(StrictSchema):
    month = ma.fields.String(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}$"))


class ResultsSchema(ma.Schema):
    month = ma.fields.String()
    units = ma.fields.List(ma.fields.Dict())
