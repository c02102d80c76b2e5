"""Agents' phones registered for push."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.notifications.schemas import DeviceOutSchema, DeviceSchema
from dispatch.extensions import db
from dispatch.models.users import Role
from dispatch.security import current_scope, roles_required
from dispatch.services import notify

blp = Blueprint("devices", __name__, description="推送设备 / Push devices")


@blp.route("/")
class Devices(MethodView):
    @blp.arguments(DeviceSchema)
    @blp.response(201, DeviceOutSchema)
    @roles_required(Role.AGENT)
    def post(self, data):
        """Register this phone's push token (re-registering a token moves it here)"""
        return notify.register_device(db.session, current_scope(), **data)
