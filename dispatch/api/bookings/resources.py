"""Home-visit booking (预约上门服务): slots the plan can absorb, booking, cancelling."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.bookings.schemas import (
    BookingSchema,
    BookSchema,
    CancelSchema,
    SlotArgsSchema,
    SlotSchema,
)
from dispatch.extensions import db
from dispatch.security import current_scope
from dispatch.services import bookings

blp = Blueprint("bookings", __name__, description="预约上门 / Home-visit booking")


@blp.route("/slots")
class Slots(MethodView):
    @blp.arguments(SlotArgsSchema, location="query")
    @blp.response(200, SlotSchema(many=True))
    def get(self, args):
        """Slots on a day, each marked available only if the plan can absorb the visit"""
        return bookings.slots(
            db.session,
            current_scope(),
            args["applicant_id"],
            args["date"],
            args.get("case_id"),
            args.get("item_code"),
        )


@blp.route("/")
class Bookings(MethodView):
    @blp.arguments(BookSchema)
    @blp.response(201, BookingSchema)
    @blp.alt_response(409, description="The slot was taken meanwhile")
    def post(self, data):
        """Book a slot; it is re-checked under the township's lock"""
        return bookings.book(
            db.session,
            current_scope(),
            data["applicant_id"],
            data["date"],
            data["slot"],
            data.get("case_id"),
        )


@blp.route("/<int:appointment_id>/cancel")
class CancelBooking(MethodView):
    @blp.arguments(CancelSchema)
    @blp.response(200, BookingSchema)
    def post(self, data, appointment_id):
        """Cancel a booking; the slot is freed and a published plan is re-planned"""
        return bookings.cancel(db.session, current_scope(), appointment_id, data["reason"])
