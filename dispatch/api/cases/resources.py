"""Cases (代办件), their status moves and the custody chain."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.cases.schemas import (
    CaseCreateSchema,
    CaseDetailSchema,
    CaseQueryArgsSchema,
    CaseSchema,
    CustodyEventSchema,
    HandOverSchema,
    TransitionSchema,
)
from dispatch.api.pagination import SelectPage
from dispatch.extensions import db
from dispatch.models.users import Role
from dispatch.security import current_scope, roles_required
from dispatch.services import cases

blp = Blueprint("cases", __name__, description="代办件 / Cases")
# A status move is a POST, which flask-smorest leaves unguarded; require If-Match on it too,
# so a missing header is a 428 and a stale one a 412 (and both are in the spec).
blp.METHODS_NEEDING_CHECK_ETAG = [*blp.METHODS_NEEDING_CHECK_ETAG, "POST"]
WRITERS = (Role.DISPATCHER, Role.VILLAGE_STAFF, Role.AGENT)


@blp.route("/")
class Cases(MethodView):
    @blp.arguments(CaseQueryArgsSchema, location="query")
    @blp.response(200, CaseSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Cases in the caller's scope"""
        return cases.list_cases(current_scope(), **args)

    @blp.arguments(CaseCreateSchema)
    @blp.response(201, CaseDetailSchema)
    @blp.alt_response(422, description="Unknown applicant or item")
    @roles_required(*WRITERS)
    def post(self, data):
        """Register a case; the due date follows the working-day promise"""
        return cases.register_case(db.session, current_scope(), **data)


@blp.route("/<int:case_id>")
class CaseById(MethodView):
    @blp.etag
    @blp.response(200, CaseDetailSchema)
    @blp.alt_response(404, description="No such case in your scope")
    def get(self, case_id):
        """One case with its status history and custody chain"""
        return cases.get_case(db.session, current_scope(), case_id)


@blp.route("/<int:case_id>/transitions")
class CaseTransitions(MethodView):
    @blp.etag
    @blp.arguments(TransitionSchema)
    @blp.response(200, CaseDetailSchema)
    @blp.alt_response(409, description="Illegal move; the body lists the allowed ones")
    @roles_required(*WRITERS)
    def post(self, data, case_id):
        """Move a case to its next status (send If-Match with the case's ETag)"""
        case = cases.get_case(db.session, current_scope(), case_id)
        blp.check_etag(case, CaseDetailSchema)
        return cases.transition(db.session, current_scope(), case, **data)


@blp.route("/<int:case_id>/custody")
class CaseCustody(MethodView):
    @blp.response(200, CustodyEventSchema(many=True))
    def get(self, case_id):
        """The custody chain of a case's documents, oldest first"""
        return cases.get_case(db.session, current_scope(), case_id).custody

    @blp.arguments(HandOverSchema)
    @blp.response(201, CustodyEventSchema)
    @blp.alt_response(409, description="Closed case, or the receiver already holds it")
    @roles_required(*WRITERS)
    def post(self, data, case_id):
        """Record a hand-over (交接单) from the current holder"""
        case = cases.get_case(db.session, current_scope(), case_id)
        return cases.hand_over(db.session, current_scope(), case, **data)
