"""Devices, push acknowledgements and the outbox a dispatcher watches."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.notifications.schemas import (
    MessageSchema,
    OutboxArgsSchema,
)
from dispatch.api.pagination import SelectPage
from dispatch.extensions import db
from dispatch.models.users import Role
from dispatch.security import current_scope, roles_required
from dispatch.services import notify

blp = Blueprint("notifications", __name__, description="消息 / Notifications")


@blp.route("/<string:message_id>/ack")
class Ack(MethodView):
    @blp.response(200, MessageSchema)
    @roles_required(Role.AGENT)
    def post(self, message_id):
        """The app confirms it received a push; no SMS fallback follows"""
        return notify.acknowledge(db.session, current_scope(), message_id)


@blp.route("/outbox")
class Outbox(MethodView):
    @blp.arguments(OutboxArgsSchema, location="query")
    @blp.response(200, MessageSchema(many=True))
    @blp.paginate(SelectPage)
    @roles_required(Role.DISPATCHER, Role.SUPERVISOR)
    def get(self, args):
        """Sent, pending and dead-lettered messages in the caller's region"""
        return notify.list_outbox(current_scope(), **args)


@blp.route("/outbox/<string:message_id>/resend")
class Resend(MethodView):
    @blp.response(200, MessageSchema)
    @roles_required(Role.DISPATCHER)
    def post(self, message_id):
        """Queue a dead-lettered or sent message again"""
        return notify.resend(db.session, current_scope(), message_id)
