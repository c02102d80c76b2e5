"""Vehicles: motorbikes and cars with seats, bag capacity and a home centre."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.pagination import SelectPage
from dispatch.api.vehicles.schemas import (
    VehicleCreateSchema,
    VehicleQueryArgsSchema,
    VehicleSchema,
    VehicleUpdateSchema,
)
from dispatch.extensions import db
from dispatch.models.users import Role
from dispatch.security import current_scope, roles_required
from dispatch.services import vehicles

blp = Blueprint("vehicles", __name__, description="车辆 / Vehicles")


@blp.route("/")
class Vehicles(MethodView):
    @blp.arguments(VehicleQueryArgsSchema, location="query")
    @blp.response(200, VehicleSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Vehicles kept in the caller's region; an agent sees their own"""
        return vehicles.list_vehicles(current_scope(), **args)

    @blp.arguments(VehicleCreateSchema)
    @blp.response(201, VehicleSchema)
    @blp.alt_response(422, description="Unknown home centre")
    @roles_required(Role.DISPATCHER)
    def post(self, data):
        """Add a vehicle at a centre of the caller's"""
        return vehicles.create_vehicle(db.session, current_scope(), **data)


@blp.route("/<int:vehicle_id>")
class VehicleById(MethodView):
    @blp.etag
    @blp.response(200, VehicleSchema)
    @blp.alt_response(404, description="No such vehicle in your scope")
    def get(self, vehicle_id):
        """One vehicle"""
        return vehicles.get_vehicle(db.session, current_scope(), vehicle_id)

    @blp.etag
    @blp.arguments(VehicleUpdateSchema)
    @blp.response(200, VehicleSchema)
    @roles_required(Role.DISPATCHER)
    def patch(self, data, vehicle_id):
        """Change a vehicle (send If-Match)"""
        vehicle = vehicles.get_vehicle(db.session, current_scope(), vehicle_id)
        blp.check_etag(vehicle, VehicleSchema)
        return vehicles.update_vehicle(db.session, current_scope(), vehicle, **data)
