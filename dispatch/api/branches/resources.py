"""The branches of a case: its entrustment, on-site completion, 补正, refusal, 中止 / 续办,
withdrawal. Each move is a POST that needs the case's ETag in If-Match, like a transition."""

from collections.abc import Callable
from typing import Any

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


def _move(case_id: int, step: Callable[..., Any], data: dict[str, Any]) -> Any:
    """Find the case in scope, check its ETag, take the step."""
    case = cases.get_case(db.session, current_scope(), case_id)
    blp.check_etag(case, CaseDetailSchema)
    return step(db.session, current_scope(), case, **data)


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


@blp.route("/<int:case_id>/entrustment/revocation")
class EntrustmentRevocation(MethodView):
    @blp.etag
    @blp.arguments(ReasonSchema)
    @blp.response(200, CaseDetailSchema)
    @roles_required(*DESK)
    def post(self, data, case_id):
        """The villager revokes the entrustment (through village staff): the file comes back"""
        return _move(case_id, branches.revoke_entrustment, data)


@blp.route("/<int:case_id>/on-site-completion")
class OnSiteCompletion(MethodView):
    @blp.etag
    @blp.arguments(OnSiteSchema)
    @blp.response(200, CaseDetailSchema)
    @roles_required(*DESK)
    def post(self, data, case_id):
        """现场受理、办结、出证: a village item decided and delivered at the room"""
        return _move(case_id, branches.complete_on_site, data)


@blp.route("/<int:case_id>/supplement-request")
class SupplementRequest(MethodView):
    @blp.etag
    @blp.arguments(SupplementRequestSchema)
    @blp.response(200, CaseDetailSchema)
    @roles_required(Role.DISPATCHER)
    def post(self, data, case_id):
        """补正: the deciding centre names the missing materials; the clock stops"""
        return _move(case_id, branches.request_supplement, data)


@blp.route("/<int:case_id>/supplement-received")
class SupplementReceived(MethodView):
    @blp.etag
    @blp.arguments(SupplementReceivedSchema)
    @blp.response(200, CaseDetailSchema)
    @roles_required(*WRITERS)
    def post(self, data, case_id):
        """The villager's supplement is in: materials checked again, the clock runs on"""
        return _move(case_id, branches.receive_supplement, data)


@blp.route("/<int:case_id>/refusal")
class Refusal(MethodView):
    @blp.etag
    @blp.arguments(RefusalSchema)
    @blp.response(200, CaseDetailSchema)
    @roles_required(Role.DISPATCHER)
    def post(self, data, case_id):
        """不予受理 / 不予许可 with the legal reason: the notice and the file go back down"""
        return _move(case_id, branches.refuse, data)


@blp.route("/<int:case_id>/suspension")
class Suspension(MethodView):
    @blp.etag
    @blp.arguments(ReasonSchema)
    @blp.response(200, CaseDetailSchema)
    @roles_required(*WRITERS)
    def post(self, data, case_id):
        """中止: legs held where the file is, the clock stopped"""
        return _move(case_id, branches.suspend, data)


@blp.route("/<int:case_id>/continuation")
class Continuation(MethodView):
    @blp.etag
    @blp.arguments(NoteSchema)
    @blp.response(200, CaseDetailSchema)
    @roles_required(*WRITERS)
    def post(self, data, case_id):
        """续办: on from where it was suspended; the stopped days join the promise"""
        return _move(case_id, branches.continue_case, data)


@blp.route("/<int:case_id>/withdrawal")
class Withdrawal(MethodView):
    @blp.etag
    @blp.arguments(ReasonSchema)
    @blp.response(200, CaseDetailSchema)
    @roles_required(*WRITERS)
    def post(self, data, case_id):
        """撤回 at the villager's request: the file comes back down"""
        return _move(case_id, branches.withdraw, data)
