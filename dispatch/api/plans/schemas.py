import marshmallow as ma
from marshmallow import validate

from dispatch.api.common import StatusLabel, StrictSchema, validate_recent
from dispatch.planning.labels import chinese_label, english_label

CODE = validate.Regexp(r"^\d{12}$", error="a 12-digit region code")
ID = validate.Range(min=1, max=2**31 - 1)


class PlanQueryArgsSchema(StrictSchema):
    township = ma.fields.String(validate=CODE)
    day = ma.fields.Date()
    status = ma.fields.String(validate=validate.OneOf(["draft", "published", "superseded"]))


class _PlanFields(ma.Schema):
    id = ma.fields.Integer()
    day = ma.fields.Date()
    version = ma.fields.Integer()
    status = ma.fields.String()
    status_label = StatusLabel("plan")
    objective = ma.fields.String()
    reason = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    published_at = ma.fields.AwareDateTime(allow_none=True)
    summary = ma.fields.Dict()


class PlanSchema(_PlanFields):
    """A plan row, read from the model."""

    township_code = ma.fields.Function(lambda p: p.township.code)
    township = ma.fields.Function(lambda p: p.township.name)


class CaseOnStopSchema(ma.Schema):
    id = ma.fields.Integer()
    reference = ma.fields.String()
    item = ma.fields.String()
    item_en = ma.fields.String()
    status = ma.fields.String()
    status_label = StatusLabel("case")
    materials = ma.fields.List(ma.fields.Dict())
    in_person = ma.fields.Boolean()


class ContactSchema(ma.Schema):
    # Already shown as the caller's role may see them (dispatch.planning.views, privacy.RULES).
    name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)


class StopSchema(ma.Schema):
    id = ma.fields.Integer()
    seq = ma.fields.Integer()
    kind = ma.fields.String()
    task_key = ma.fields.String()
    label = ma.fields.String(metadata={"description": "what the stop is for, in Chinese"})
    label_en = ma.fields.String(metadata={"description": "the same in English"})
    action = ma.fields.String()
    lon = ma.fields.Float()
    lat = ma.fields.Float()
    arrival = ma.fields.AwareDateTime()
    departure = ma.fields.AwareDateTime()
    window_start = ma.fields.AwareDateTime(allow_none=True)
    window_end = ma.fields.AwareDateTime(allow_none=True)
    status = ma.fields.String()
    status_label = StatusLabel("stop")
    fail_reason = ma.fields.String()
    contact = ma.fields.Nested(ContactSchema, allow_none=True)
    nav = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    cases = ma.fields.List(ma.fields.Nested(CaseOnStopSchema))


class RouteSchema(ma.Schema):
    id = ma.fields.Integer()
    agent_id = ma.fields.Integer()
    agent = ma.fields.String()
    agent_phone = ma.fields.String()
    vehicle_id = ma.fields.Integer(allow_none=True)
    vehicle_kind = ma.fields.String()
    start_at = ma.fields.AwareDateTime(allow_none=True)
    end_at = ma.fields.AwareDateTime(allow_none=True)
    distance_m = ma.fields.Integer()
    travel_s = ma.fields.Integer()
    locked = ma.fields.Boolean()
    stops = ma.fields.List(ma.fields.Nested(StopSchema))


class PlanDetailSchema(_PlanFields):
    """A plan with its routes, read from the role-masked view built by the planning layer."""

    township_code = ma.fields.String()
    township = ma.fields.String()
    routes = ma.fields.List(ma.fields.Nested(RouteSchema))


class PlanRequestSchema(StrictSchema):
    township = ma.fields.String(validate=CODE)
    day = ma.fields.Date(required=True)
    objective = ma.fields.String(
        load_default="distance", validate=validate.OneOf(["distance", "balance"])
    )


class ReplanSchema(StrictSchema):
    reason = ma.fields.String(load_default="", validate=validate.Length(max=200))
    objective = ma.fields.String(validate=validate.OneOf(["distance", "balance"]))


class AbsenceSchema(StrictSchema):
    agent_id = ma.fields.Integer(required=True, validate=ID)
    reason = ma.fields.String(load_default="病假 / sick", validate=validate.Length(max=200))


class UrgentSchema(StrictSchema):
    case_id = ma.fields.Integer(required=True, validate=ID)


class OverrideSchema(StrictSchema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(["pin", "forbid", "lock"]))
    agent_id = ma.fields.Integer(required=True, validate=ID)
    task_key = ma.fields.String(load_default="", validate=validate.Length(max=60))


class OverrideOutSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    agent_id = ma.fields.Integer(allow_none=True)
    task_key = ma.fields.String()
    forced = ma.fields.Boolean()
    detail = ma.fields.Dict()


class MoveSchema(StrictSchema):
    task_key = ma.fields.String(required=True, validate=validate.Length(1, 60))
    agent_id = ma.fields.Integer(required=True, validate=ID)
    position = ma.fields.Integer(required=True, validate=validate.Range(min=0, max=500))
    force = ma.fields.Boolean(load_default=False)
    note = ma.fields.String(load_default="", validate=validate.Length(max=200))


class ChangeResultSchema(ma.Schema):
    plan_id = ma.fields.Integer()
    version = ma.fields.Integer()
    status = ma.fields.String()
    notified_agents = ma.fields.List(ma.fields.Integer())
    violations = ma.fields.List(ma.fields.Dict())
    overridden = ma.fields.Boolean()
    placed = ma.fields.Boolean()
    based_on_version = ma.fields.Integer(allow_none=True)
    rebased_from_version = ma.fields.Integer()


class StopUpdateSchema(StrictSchema):
    status = ma.fields.String(required=True, validate=validate.OneOf(["arrived", "done", "failed"]))
    reason = ma.fields.String(load_default="", validate=validate.Length(max=500))
    at = ma.fields.AwareDateTime(validate=validate_recent)
    idempotency_key = ma.fields.String(validate=validate.Length(8, 64))


class StopStateSchema(ma.Schema):
    """A stop after a report; ``id`` differs from ``reported_stop_id`` when the report named
    a stop of a replaced plan version and went to the same task in the current one."""

    id = ma.fields.Integer(attribute="stop.id")
    status = ma.fields.String(attribute="stop.status")
    status_at = ma.fields.AwareDateTime(attribute="stop.status_at", allow_none=True)
    fail_reason = ma.fields.String(attribute="stop.fail_reason")
    plan_id = ma.fields.Integer(attribute="stop.route.plan_id")
    agent_id = ma.fields.Integer(attribute="stop.route.agent_id")
    reported_stop_id = ma.fields.Integer()


class TodayArgsSchema(StrictSchema):
    day = ma.fields.Date(
        error_messages={"invalid": "日期格式应为 YYYY-MM-DD / a date as YYYY-MM-DD"}
    )
    # With no route on the day (a weekend or holiday), the agent's next published one.
    upcoming = ma.fields.Boolean(load_default=False)


class DiffArgsSchema(StrictSchema):
    against = ma.fields.Integer(validate=ID)


class UnappliedArgsSchema(StrictSchema):
    day = ma.fields.Date(
        error_messages={"invalid": "日期格式应为 YYYY-MM-DD / a date as YYYY-MM-DD"}
    )
    township = ma.fields.String(validate=CODE)
    resolved = ma.fields.Boolean(
        error_messages={"invalid": "应为 true 或 false / true or false"},
        metadata={"description": "false: still to check; true: checked; absent: both"},
    )


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("请写明核对结果 / Write what you found (1–500 characters)")


class ResolveSchema(StrictSchema):
    note = ma.fields.String(
        required=True,
        validate=[
            validate.Length(1, 500, error="核对说明须为1–500字 / The note takes 1–500 characters"),
            _not_blank,
        ],
        error_messages={"required": "请写明核对结果 / Write what you found (1–500 characters)"},
    )


class _Named(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class _Login(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String()


class _Township(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()


class _CaseRef(ma.Schema):
    id = ma.fields.Integer()
    reference = ma.fields.String()


class _ReportedStop(ma.Schema):
    id = ma.fields.Integer()
    label = ma.fields.Function(lambda stop: chinese_label(stop.label, stop.kind))
    label_en = ma.fields.Function(lambda stop: english_label(stop.label, stop.kind))
    task_key = ma.fields.String()
    kind = ma.fields.String()
    cases = ma.fields.List(ma.fields.Nested(_CaseRef))


class UnappliedReportSchema(ma.Schema):
    """A stop report kept unapplied because its task left the plan, read from the model."""

    id = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "What the phone reported"})
    reason = ma.fields.String()
    at = ma.fields.AwareDateTime(metadata={"description": "When it happened, by the phone"})
    received_at = ma.fields.AwareDateTime()
    reported_by = ma.fields.Function(
        lambda e: e.reported_by.username if e.reported_by else None,
        metadata={"description": "The login that sent the report"},
    )
    agent = ma.fields.Nested(_Named, attribute="stop.route.agent")
    township = ma.fields.Nested(_Township, attribute="stop.route.plan.township")
    day = ma.fields.Date(attribute="stop.route.plan.day")
    plan_id = ma.fields.Integer(attribute="stop.route.plan_id")
    plan_version = ma.fields.Integer(
        attribute="stop.route.plan.version", metadata={"description": "The version the phone had"}
    )
    current_version = ma.fields.Integer(
        allow_none=True, metadata={"description": "The version published now; null if none"}
    )
    stop = ma.fields.Nested(_ReportedStop, metadata={"description": "The stop the phone named"})
    resolved_at = ma.fields.AwareDateTime(allow_none=True)
    resolved_by = ma.fields.Nested(_Login, allow_none=True)
    resolution_note = ma.fields.String()
