"""``GET /api/register/?township=`` and ``PUT /api/register/<code>/<item>``, scoped by region."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.register.schemas import (
    RecordedSchema,
    RecordItemSchema,
    RegisterArgsSchema,
    RegisterItemSchema,
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
    @blp.etag
    @blp.response(200, RecordedSchema)
    @blp.alt_response(404, description="No such region in your scope")
    def get(self, code, item):
        """One item of a village room or township, with the ETag a PUT sends in If-Match"""
        found = register.register_item(db.session, current_scope(), code, item)
        blp.set_etag(found["item"], RegisterItemSchema)
        return found

    @blp.etag
    @blp.arguments(RecordItemSchema)
    @blp.response(200, RecordedSchema)
    @blp.alt_response(412, description="Changed since it was read: GET it again")
    @blp.alt_response(422, description="No such item for that region, or a future date")
    def put(self, data, code, item):
        """County staff record an item completed on a date (null: not done); send If-Match"""
        # The ETag is the item's own: another item of the same room changing does not stale it.
        current = register.register_item(db.session, current_scope(), code, item, writing=True)
        blp.check_etag(current["item"], RegisterItemSchema)
        recorded = register.record_item(db.session, current_scope(), code, item, **data)
        blp.set_etag(recorded["item"], RegisterItemSchema)
        return recorded
