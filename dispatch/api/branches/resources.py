"""The branches of a case: its entrustment, on-site completion, 补正, refusal, 中止 / 续办,
withdrawal. Each move is a POST that needs the case's ETag in If-Match, like a transition.

The moves differ only in their URL, body, service function and roles, so they are one table
(``MOVES``) and one view shape made from each row (``_move_view``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.branches.schemas import (
    EntrustmentCreateSchema,
    EntrustmentSchema,
    NoteSchema,
    OnSiteSchema,
    ReasonSchema,
    RefusalSchema,
    SupplementReceivedSchema,
    SupplementRequestSchema,
)
from dispatch.api.cases.schemas import CaseDetailSchema
from dispatch.extensions import db
from dispatch.models.users import Role
from dispatch.security import current_scope, roles_required
from dispatch.services import branches, cases, entrustments

URL_PREFIX = "/api/cases"
blp = Blueprint("branches", __name__, description="委托与分支 / Entrustment and branches")
blp.METHODS_NEEDING_CHECK_ETAG = [*blp.METHODS_NEEDING_CHECK_ETAG, "POST"]
WRITERS = (Role.DISPATCHER, Role.VILLAGE_STAFF, Role.AGENT)
DESK = (Role.DISPATCHER, Role.VILLAGE_STAFF)
DECIDER = (Role.DISPATCHER,)


@dataclass(frozen=True)
class Move:
    """One branch move: ``POST /api/cases/<id>/<url>`` with ``schema``, calling ``step``."""

    name: str  # the view's name, hence its endpoint and its OpenAPI operation
    url: str
    schema: type[ma.Schema]
    step: Callable[..., Any]
    roles: tuple[Role, ...]
    summary: str


MOVES = (
    Move("EntrustmentRevocation", "entrustment/revocation", ReasonSchema,
         branches.revoke_entrustment, DESK,
         "The villager revokes the entrustment (through village staff): the file comes back"),
    Move("OnSiteCompletion", "on-site-completion", OnSiteSchema, branches.complete_on_site, DESK,
         "现场受理、办结、出证: a village item decided and delivered at the room"),
    Move("SupplementRequest", "supplement-request", SupplementRequestSchema,
         branches.request_supplement, DECIDER,
         "补正: the deciding centre names the missing materials; the clock stops"),
    Move("SupplementReceived", "supplement-received", SupplementReceivedSchema,
         branches.receive_supplement, WRITERS,
         "The villager's supplement is in: materials checked again, the clock runs on"),
    Move("Refusal", "refusal", RefusalSchema, branches.refuse, DECIDER,
         "不予受理 / 不予许可 with the legal reason: the notice and the file go back down"),
    Move("Suspension", "suspension", ReasonSchema, branches.suspend, WRITERS,
         "中止: legs held where the file is, the clock stopped"),
    Move("Continuation", "continuation", NoteSchema, branches.continue_case, WRITERS,
         "续办: on from where it was suspended; the stopped days join the promise"),
    Move("Withdrawal", "withdrawal", ReasonSchema, branches.withdraw, WRITERS,
         "撤回 at the villager's request: the file comes back down"),
)  # fmt: skip


def _move_view(move: Move) -> type[MethodView]:
    """The view of one row: find the case in scope, check its ETag, take the step."""

    def post(self: MethodView, data: dict[str, Any], case_id: int) -> Any:
        case = cases.get_case(db.session, current_scope(), case_id)
        blp.check_etag(case, CaseDetailSchema)
        return move.step(db.session, current_scope(), case, **data)

    post.__doc__ = move.summary
    post = roles_required(*move.roles)(post)
    post = blp.response(200, CaseDetailSchema)(post)
    post = blp.arguments(move.schema)(post)
    return type(move.name, (MethodView,), {"post": blp.etag(post)})


for _move in MOVES:
    blp.route(f"/<int:case_id>/{_move.url}")(_move_view(_move))


@blp.route("/<int:case_id>/entrustment")
class CaseEntrustment(MethodView):
    @blp.response(200, EntrustmentSchema)
    @blp.alt_response(404, description="No such case in your scope, or no entrustment yet")
    def get(self, case_id):
        """The case's entrustment (代办委托书), the newest, in force or not"""
        case = cases.get_case(db.session, current_scope(), case_id)
        return entrustments.get_entrustment(db.session, case)

    @blp.arguments(EntrustmentCreateSchema)
    @blp.response(201, EntrustmentSchema)
    @blp.alt_response(409, description="An entrustment is already in force")
    @roles_required(*WRITERS)
    def post(self, data, case_id):
        """Record the villager's signed entrustment (on the agent's phone or at the room)"""
        case = cases.get_case(db.session, current_scope(), case_id)
        return entrustments.capture(db.session, current_scope(), case, **data)
