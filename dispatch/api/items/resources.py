"""The catalogue of service items with the one-time notice of materials (一次性告知)."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.items.schemas import (
    ItemCreateSchema,
    ItemQueryArgsSchema,
    ItemSchema,
    ItemUpdateSchema,
)
from dispatch.api.pagination import SelectPage
from dispatch.extensions import db
from dispatch.models.users import Role
from dispatch.security import roles_required
from dispatch.services import items

blp = Blueprint("items", __name__, description="事项目录 / Service items")


@blp.route("/")
class Items(MethodView):
    @blp.arguments(ItemQueryArgsSchema, location="query")
    @blp.response(200, ItemSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """The catalogue, by code"""
        return items.list_items(**args)

    @blp.arguments(ItemCreateSchema)
    @blp.response(201, ItemSchema)
    @blp.alt_response(409, description="The code exists")
    @roles_required(Role.ADMIN)
    def post(self, data):
        """Add an item to the catalogue (admin)"""
        return items.create_item(db.session, **data)


@blp.route("/<string:code>")
class ItemByCode(MethodView):
    @blp.etag
    @blp.response(200, ItemSchema)
    @blp.alt_response(404, description="No such item")
    def get(self, code):
        """One item with its materials, promise and guide"""
        return items.get_item(db.session, code)

    @blp.etag
    @blp.arguments(ItemUpdateSchema)
    @blp.response(200, ItemSchema)
    @roles_required(Role.ADMIN)
    def patch(self, data, code):
        """Change an item (admin; send If-Match)"""
        item = items.get_item(db.session, code)
        blp.check_etag(item, ItemSchema)
        return items.update_item(db.session, item, **data)
