"""Log in, log out and who am I."""

from flask.views import MethodView
from flask_jwt_extended import get_jwt
from flask_smorest import Blueprint

from dispatch.api.auth.schemas import LoginSchema, MeSchema, TokenSchema
from dispatch.extensions import db, limit_from
from dispatch.security import current_scope
from dispatch.services import auth

blp = Blueprint("auth", __name__, description="登录与令牌 / Login and tokens")


@blp.route("/login")
class Login(MethodView):
    @limit_from("RATELIMIT_LOGIN")
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(429, description="Too many attempts; see Retry-After")
    @blp.alt_response(401, description="Wrong username or password")
    @blp.doc(security=[])
    def post(self, data):
        """Exchange a username and password for a bearer token"""
        return auth.login(db.session, data["username"], data["password"])


@blp.route("/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self):
        """Revoke the token used for this request"""
        auth.revoke(db.session, get_jwt())


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """The caller's identity, role and region"""
        return current_scope()
