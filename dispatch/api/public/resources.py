"""A case looked up by reference number and phone: where it is and who holds the documents."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.public.schemas import LookupArgsSchema, LookupSchema
from dispatch.api.ratings.schemas import (
    PublicRatingSchema,
    RatePageSchema,
    ResultsArgsSchema,
    ResultsSchema,
)
from dispatch.extensions import db, limit_from
from dispatch.services import ratings
from dispatch.services.kpis import public_results
from dispatch.services.public import lookup_case

blp = Blueprint("public", __name__, description="公开查询 / Public look-up (no login)")


@blp.route("/cases/lookup")
class CaseLookup(MethodView):
    @limit_from("RATELIMIT_PUBLIC")
    @blp.arguments(LookupArgsSchema, location="query")
    @blp.response(200, LookupSchema)
    @blp.alt_response(429, description="Too many attempts; see Retry-After")
    @blp.alt_response(404, description="No case matches that reference and phone")
    def get(self, args):
        """Status, custody chain, current holder and dates; 404 for any mismatch"""
        return lookup_case(db.session, args["reference"], args["phone"])


@blp.route("/ratings/results")
class RatingResults(MethodView):
    @limit_from("RATELIMIT_PUBLIC")
    @blp.arguments(ResultsArgsSchema, location="query")
    @blp.response(200, ResultsSchema)
    def get(self, args):
        """Monthly 好差评 results per county and township (公示), with no personal data"""
        return public_results(db.session, args["month"])


@blp.route("/ratings/<string:token>")
class RatingInvitation(MethodView):
    @limit_from("RATELIMIT_PUBLIC")
    @blp.response(200, RatePageSchema)
    @blp.alt_response(404, description="Not a valid rating link")
    @blp.alt_response(409, description="The case is not delivered yet")
    def get(self, token):
        """What the rating link rates: the item, the township centre, the agent"""
        return ratings.rating_page(db.session, token)


@blp.route("/ratings")
class PublicRatings(MethodView):
    @limit_from("RATELIMIT_PUBLIC")
    @blp.arguments(PublicRatingSchema)
    @blp.response(201, description="Rating recorded")
    @blp.alt_response(409, description="Rated already (一事一评), or not delivered yet")
    @blp.alt_response(429, description="Too many attempts; see Retry-After")
    def post(self, data):
        """The villager's rating from the SMS link (five levels; the bottom two are 差评)"""
        rating = ratings.rate_by_link(db.session, **data)
        return {"id": rating.id, "bad": rating.bad}
