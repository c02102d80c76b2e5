"""Ratings in the caller's region, the rectification of 差评 and appeals, step by step."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.pagination import SelectPage
from dispatch.api.ratings.schemas import (
    AppealCreateSchema,
    AppealDecisionSchema,
    AppealQueryArgsSchema,
    AppealSchema,
    CallbackSchema,
    RatingQueryArgsSchema,
    RatingSchema,
    RecordRatingSchema,
    RectificationSchema,
    RectifySchema,
    RectQueryArgsSchema,
    VerifySchema,
)
from dispatch.extensions import db
from dispatch.security import current_scope
from dispatch.services import ratings, rectification

blp = Blueprint("ratings", __name__, description="好差评 / Ratings, rectification and appeals")


@blp.route("/")
class Ratings(MethodView):
    @blp.arguments(RatingQueryArgsSchema, location="query")
    @blp.response(200, RatingSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Ratings in scope, newest first; the rated agent sees no case and no villager"""
        return ratings.list_ratings(current_scope(), **args)

    @blp.arguments(RecordRatingSchema)
    @blp.response(201, RatingSchema)
    @blp.alt_response(409, description="Already rated (一事一评), or not delivered yet")
    def post(self, data):
        """Village staff record a rating taken by call-back or at the village room's screen"""
        return ratings.record_rating(db.session, current_scope(), **data)


@blp.route("/<int:rating_id>/appeals")
class RatingAppeals(MethodView):
    @blp.arguments(AppealCreateSchema)
    @blp.response(201, AppealSchema)
    @blp.alt_response(409, description="Removed already, or an appeal is pending")
    def post(self, data, rating_id):
        """The rated agent or township centre appeals a rating (申诉)"""
        return rectification.file_appeal(db.session, current_scope(), rating_id, **data)


@blp.route("/appeals")
class Appeals(MethodView):
    @blp.arguments(AppealQueryArgsSchema, location="query")
    @blp.response(200, AppealSchema(many=True))
    def get(self, args):
        """Appeals in scope; ``pending=true`` is the county's queue"""
        return rectification.list_appeals(db.session, current_scope(), args["pending"])


@blp.route("/appeals/<int:appeal_id>/decision")
class AppealDecision(MethodView):
    @blp.arguments(AppealDecisionSchema)
    @blp.response(200, AppealSchema)
    @blp.alt_response(409, description="Decided already")
    def post(self, data, appeal_id):
        """The county upholds or removes the rating (复核), with its reason"""
        return rectification.decide_appeal(db.session, current_scope(), appeal_id, **data)


@blp.route("/rectifications")
class Rectifications(MethodView):
    @blp.arguments(RectQueryArgsSchema, location="query")
    @blp.response(200, RectificationSchema(many=True))
    def get(self, args):
        """The rectification queue, earliest deadline first; ``overdue=true`` the flagged"""
        return rectification.list_rectifications(
            db.session, current_scope(), overdue_only=args["overdue"], open_only=args["open"]
        )


@blp.route("/rectifications/<int:rect_id>/verification")
class Verification(MethodView):
    @blp.arguments(VerifySchema)
    @blp.response(200, RectificationSchema)
    @blp.alt_response(409, description="Not at this step")
    def post(self, data, rect_id):
        """Step 1, the township: 属实 (true) or 不属实 (false), with a note"""
        return rectification.verify(db.session, current_scope(), rect_id, **data)


@blp.route("/rectifications/<int:rect_id>/measures")
class Measures(MethodView):
    @blp.arguments(RectifySchema)
    @blp.response(200, RectificationSchema)
    @blp.alt_response(409, description="Not at this step")
    def post(self, data, rect_id):
        """Step 2, the township: what was done (整改)"""
        return rectification.rectify(db.session, current_scope(), rect_id, **data)


@blp.route("/rectifications/<int:rect_id>/callback")
class Callback(MethodView):
    @blp.arguments(CallbackSchema)
    @blp.response(200, RectificationSchema)
    @blp.alt_response(409, description="Not at this step")
    def post(self, data, rect_id):
        """Step 3, the township: the call-back (回访); the villager gets an SMS with the result"""
        return rectification.call_back(db.session, current_scope(), rect_id, **data)
