"""Service centres (政务服务中心 / 便民服务室), their hours and closed days."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.centres.schemas import (
    CentreCreateSchema,
    CentreQueryArgsSchema,
    CentreSchema,
    CentreUpdateSchema,
    ClosedDayCreateSchema,
    ClosedDaySchema,
    DateArgsSchema,
    DayArgsSchema,
    SpanSchema,
)
from dispatch.api.pagination import SelectPage
from dispatch.extensions import db
from dispatch.models.users import Role
from dispatch.security import current_scope, roles_required
from dispatch.services import centres

blp = Blueprint("centres", __name__, description="服务中心 / Service centres")


@blp.route("/")
class Centres(MethodView):
    @blp.arguments(CentreQueryArgsSchema, location="query")
    @blp.response(200, CentreSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Centres in the caller's region and the ones above it"""
        return centres.list_centres(current_scope(), **args)

    @blp.arguments(CentreCreateSchema)
    @blp.response(201, CentreSchema)
    @blp.alt_response(422, description="Unknown region, or kind not its level")
    @roles_required(Role.DISPATCHER)
    def post(self, data):
        """Open a centre in a region of the caller's"""
        return centres.create_centre(db.session, current_scope(), **data)


@blp.route("/<int:centre_id>")
class CentreById(MethodView):
    @blp.etag
    @blp.response(200, CentreSchema)
    @blp.alt_response(404, description="No such centre in your scope")
    def get(self, centre_id):
        """One centre with its hours and closed days"""
        return centres.get_centre(db.session, current_scope(), centre_id)

    @blp.etag
    @blp.arguments(CentreUpdateSchema)
    @blp.response(200, CentreSchema)
    @blp.alt_response(403, description="A centre above your region is read-only")
    @roles_required(Role.DISPATCHER)
    def patch(self, data, centre_id):
        """Change a centre's name, place or weekly hours (send If-Match)"""
        centre = centres.get_centre(db.session, current_scope(), centre_id)
        blp.check_etag(centre, CentreSchema)
        return centres.update_centre(db.session, current_scope(), centre, **data)


@blp.route("/<int:centre_id>/closed-days")
class CentreClosedDays(MethodView):
    @blp.response(200, ClosedDaySchema(many=True))
    def get(self, centre_id):
        """The centre's extra closed days, oldest first"""
        return centres.get_centre(db.session, current_scope(), centre_id).closed_days

    @blp.arguments(ClosedDayCreateSchema)
    @blp.response(201, ClosedDaySchema)
    @blp.alt_response(409, description="Already a closed day")
    @roles_required(Role.DISPATCHER)
    def post(self, data, centre_id):
        """Close the centre on a day (a local closure on top of the national calendar)"""
        centre = centres.get_centre(db.session, current_scope(), centre_id)
        return centres.add_closed_day(db.session, current_scope(), centre, **data)

    @blp.arguments(DayArgsSchema, location="query")
    @blp.response(204)
    @blp.alt_response(404, description="Not a closed day")
    @roles_required(Role.DISPATCHER)
    def delete(self, args, centre_id):
        """Open the centre again on a day it was closed"""
        centre = centres.get_centre(db.session, current_scope(), centre_id)
        centres.remove_closed_day(db.session, current_scope(), centre, **args)


@blp.route("/<int:centre_id>/open-spans")
class CentreOpenSpans(MethodView):
    @blp.arguments(DateArgsSchema, location="query")
    @blp.response(200, SpanSchema(many=True))
    def get(self, args, centre_id):
        """When the centre is open on a date, in China Standard Time"""
        centre = centres.get_centre(db.session, current_scope(), centre_id)
        return centres.open_spans(centre, args["date"])
