"""Administrative regions and their points."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.pagination import SelectPage
from dispatch.api.regions.schemas import RegionQueryArgsSchema, RegionSchema, SurveyPointSchema
from dispatch.extensions import db
from dispatch.models.users import Role
from dispatch.security import current_scope, roles_required
from dispatch.services import regions

blp = Blueprint("regions", __name__, description="行政区划 / Administrative regions")


@blp.route("/")
class Regions(MethodView):
    @blp.arguments(RegionQueryArgsSchema, location="query")
    @blp.response(200, RegionSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Regions in the caller's scope"""
        return regions.list_regions(current_scope(), **args)


@blp.route("/<string:code>")
class RegionByCode(MethodView):
    @blp.response(200, RegionSchema)
    @blp.alt_response(404, description="No such region")
    def get(self, code):
        """One region by its 12-digit code"""
        return regions.get_region(db.session, current_scope(), code)


@blp.route("/<string:code>/point")
class RegionPoint(MethodView):
    @blp.arguments(SurveyPointSchema)
    @blp.response(200, RegionSchema)
    @roles_required(Role.VILLAGE_STAFF, Role.AGENT, Role.DISPATCHER)
    def put(self, data, code):
        """Replace a region's point with one surveyed on site (实地采集)"""
        regions.region_in_scope(db.session, current_scope(), code)
        return regions.survey_point(db.session, code, data["lon"], data["lat"])
