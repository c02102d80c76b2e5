"""``GET /api/register/?township=`` and ``PUT /api/register/<code>/<item>``, scoped by region."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.register.schemas import (
    RecordedSchema,
    RecordItemSchema,
    RegisterArgsSchema,
    TownshipRegisterSchema,
)
from dispatch.extensions import db
from dispatch.security import current_scope
from dispatch.services import register

blp = Blueprint("register", __name__, description="建设台账 / The construction register")


@blp.route("/")
class Register(MethodView):
    @blp.arguments(RegisterArgsSchema, location="query")
    @blp.response(200, TownshipRegisterSchema)
    def get(self, args):
        """A township and its village rooms, each item with the date it was completed"""
        return register.township_register(db.session, current_scope(), args["township"])


@blp.route("/<string:code>/<string:item>")
class RegisterItem(MethodView):
    @blp.arguments(RecordItemSchema)
    @blp.response(200, RecordedSchema)
    @blp.alt_response(422, description="No such item for that region, or a future date")
    def put(self, data, code, item):
        """County staff record an item completed on a date (null: not done)"""
        return register.record_item(db.session, current_scope(), code, item, **data)
