"""Home-visit appointments (预约上门服务)."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.appointments.schemas import (
    AppointmentQueryArgsSchema,
    AppointmentSchema,
    AppointmentUpdateSchema,
)
from dispatch.api.pagination import SelectPage
from dispatch.extensions import db
from dispatch.models.users import Role
from dispatch.security import current_scope, roles_required
from dispatch.services import appointments

blp = Blueprint("appointments", __name__, description="上门预约 / Home-visit appointments")
WRITERS = (Role.VILLAGE_STAFF, Role.DISPATCHER, Role.AGENT)


@blp.route("/")
class Appointments(MethodView):
    @blp.arguments(AppointmentQueryArgsSchema, location="query")
    @blp.response(200, AppointmentSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Appointments of the applicants in the caller's scope, by start"""
        return appointments.list_appointments(current_scope(), **args)

    @blp.response(410)
    def post(self):
        """Gone: book with POST /api/bookings/, which checks the slot, locks it and confirms"""
        appointments.refuse_direct_booking()


@blp.route("/<int:appointment_id>")
class AppointmentById(MethodView):
    @blp.etag
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(404, description="No such appointment in your scope")
    def get(self, appointment_id):
        """One appointment"""
        return appointments.get_appointment(db.session, current_scope(), appointment_id)

    @blp.etag
    @blp.arguments(AppointmentUpdateSchema)
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(409, description="Already done, missed or cancelled")
    @roles_required(*WRITERS)
    def patch(self, data, appointment_id):
        """Cancel, or record the outcome (send If-Match)"""
        appointment = appointments.get_appointment(db.session, current_scope(), appointment_id)
        blp.check_etag(appointment, AppointmentSchema)
        return appointments.update_appointment(db.session, current_scope(), appointment, **data)
