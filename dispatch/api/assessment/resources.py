"""``GET /api/assessment?year=2026``: every unit in the caller's region, scored."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.assessment.schemas import AssessmentArgsSchema, AssessmentSchema
from dispatch.extensions import db
from dispatch.security import current_scope
from dispatch.services.assessment import assess

blp = Blueprint("assessment", __name__, description="考核评议 / The county assessment")


@blp.route("")
class Assessment(MethodView):
    @blp.arguments(AssessmentArgsSchema, location="query")
    @blp.response(200, AssessmentSchema)
    def get(self, args):
        """Per unit: the register at the deadline, KPIs, 好差评, score, subsidy earned"""
        return assess(db.session, current_scope(), args["year"])
