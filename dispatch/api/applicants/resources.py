"""Applicants (villagers), with personal data masked by role."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.applicants.schemas import (
    ApplicantCreateSchema,
    ApplicantQueryArgsSchema,
    ApplicantSchema,
    ApplicantUpdateSchema,
)
from dispatch.api.pagination import SelectPage
from dispatch.extensions import db
from dispatch.models.users import Role
from dispatch.security import current_scope, roles_required
from dispatch.services import applicants

blp = Blueprint("applicants", __name__, description="申请人 / Applicants")
WRITERS = (Role.VILLAGE_STAFF, Role.DISPATCHER, Role.AGENT)


@blp.route("/")
class Applicants(MethodView):
    @blp.arguments(ApplicantQueryArgsSchema, location="query")
    @blp.response(200, ApplicantSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Applicants in the caller's scope"""
        return applicants.list_applicants(current_scope(), **args)

    @blp.arguments(ApplicantCreateSchema)
    @blp.response(201, ApplicantSchema)
    @blp.alt_response(409, description="The ID number is already registered")
    @blp.alt_response(422, description="Bad field, or a village outside your region")
    @roles_required(*WRITERS)
    def post(self, data):
        """Register a villager in a village of the caller's"""
        return applicants.create_applicant(db.session, current_scope(), **data)


@blp.route("/<int:applicant_id>")
class ApplicantById(MethodView):
    @blp.etag
    @blp.response(200, ApplicantSchema)
    @blp.alt_response(404, description="No such applicant in your scope")
    def get(self, applicant_id):
        """One applicant"""
        return applicants.get_applicant(db.session, current_scope(), applicant_id)

    @blp.etag
    @blp.arguments(ApplicantUpdateSchema)
    @blp.response(200, ApplicantSchema)
    @blp.alt_response(409, description="The ID number is already registered")
    @roles_required(*WRITERS)
    def patch(self, data, applicant_id):
        """Correct an applicant's details (send If-Match)"""
        applicant = applicants.get_applicant(db.session, current_scope(), applicant_id)
        blp.check_etag(applicant, ApplicantSchema)
        return applicants.update_applicant(db.session, current_scope(), applicant, **data)
