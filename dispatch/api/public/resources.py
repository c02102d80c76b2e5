"""A case looked up by reference number and phone: where it is and who holds the documents."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.public.schemas import LookupArgsSchema, LookupSchema
from dispatch.extensions import db, limit_from
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
