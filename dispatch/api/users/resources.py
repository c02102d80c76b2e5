"""User accounts (admin only)."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.pagination import SelectPage
from dispatch.api.users.schemas import (
    UserCreateSchema,
    UserQueryArgsSchema,
    UserSchema,
    UserUpdateSchema,
)
from dispatch.extensions import db
from dispatch.models.users import Role
from dispatch.security import current_scope, roles_required
from dispatch.services import users

blp = Blueprint("users", __name__, description="用户 / Users (admin)")


@blp.route("/")
class Users(MethodView):
    @blp.arguments(UserQueryArgsSchema, location="query")
    @blp.response(200, UserSchema(many=True))
    @blp.paginate(SelectPage)
    @roles_required(Role.ADMIN)
    def get(self, args):
        """All user accounts"""
        return users.list_users(**args)

    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(422, description="Unknown role or region, or a region unfit for the role")
    @roles_required(Role.ADMIN)
    def post(self, data):
        """Create an account; a dispatcher needs a township, village staff a village"""
        region = data.pop("region", None)
        return users.create_user(db.session, region_code=region, **data)


@blp.route("/<int:user_id>")
class UserById(MethodView):
    @blp.response(200, UserSchema)
    @blp.alt_response(404, description="No such user")
    @roles_required(Role.ADMIN)
    def get(self, user_id):
        """One account"""
        return users.get_user(db.session, user_id)

    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    @blp.alt_response(422, description="Not a mainland mobile number")
    @roles_required(Role.ADMIN)
    def patch(self, data, user_id):
        """Set a staff member's SMS number (overdue rectifications reach it); "" clears it"""
        return users.set_phone(db.session, user_id, data["phone"])

    @blp.response(204)
    @blp.alt_response(409, description="Your own account")
    @roles_required(Role.ADMIN)
    def delete(self, user_id):
        """Deactivate an account; its tokens stop working at once"""
        users.deactivate_user(db.session, current_scope(), user_id)
