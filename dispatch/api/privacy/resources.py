"""``/api/privacy/applicants/<id>/export | correction | erase``: admins only, each recorded."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.applicants.schemas import ApplicantSchema
from dispatch.api.privacy.schemas import CorrectionSchema, ErasureSchema
from dispatch.extensions import db
from dispatch.models.users import Role
from dispatch.requestlog import request_id
from dispatch.security import current_scope, roles_required
from dispatch.services import rights
from dispatch.services.applicants import get_applicant

blp = Blueprint("privacy", __name__, description="个人信息权利 / The person's rights (PIPL 44–47)")


def _applicant(applicant_id):
    return get_applicant(db.session, current_scope(), applicant_id)


@blp.route("/applicants/<int:applicant_id>/export")
class Export(MethodView):
    @blp.response(200)
    @blp.alt_response(404, description="No such applicant")
    @roles_required(Role.ADMIN)
    def get(self, applicant_id):
        """Everything held on one applicant, as JSON (a request to see or copy)"""
        return rights.export_applicant(
            db.session, current_scope(), _applicant(applicant_id), request_id() or ""
        )


@blp.route("/applicants/<int:applicant_id>/correction")
class Correction(MethodView):
    @blp.arguments(CorrectionSchema)
    @blp.response(200, ApplicantSchema)
    @blp.alt_response(409, description="The ID number is already registered")
    @roles_required(Role.ADMIN)
    def post(self, data, applicant_id):
        """Correct an applicant's details on their request; recorded with the fields"""
        applicant = _applicant(applicant_id)
        return rights.correct_applicant(
            db.session, current_scope(), applicant, request_id=request_id() or "", **data
        )


@blp.route("/applicants/<int:applicant_id>/erase")
class Erase(MethodView):
    @blp.arguments(ErasureSchema)
    @blp.response(200, ApplicantSchema)
    @blp.alt_response(409, description="A case of theirs is still open")
    @roles_required(Role.ADMIN)
    def post(self, data, applicant_id):
        """Erase (de-identify) an applicant on request; refused while a case is open"""
        applicant = _applicant(applicant_id)
        return rights.erase_applicant(
            db.session, current_scope(), applicant, data["reason"], request_id() or ""
        )
