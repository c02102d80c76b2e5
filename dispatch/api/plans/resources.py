"""Daily plans: planning jobs, versions, publishing, re-planning and manual dispatch."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.jobs.schemas import JobSchema
from dispatch.api.pagination import SelectPage
from dispatch.api.plans.schemas import (
    AbsenceSchema,
    ChangeResultSchema,
    DiffArgsSchema,
    MoveSchema,
    OverrideOutSchema,
    OverrideSchema,
    PlanDetailSchema,
    PlanQueryArgsSchema,
    PlanRequestSchema,
    PlanSchema,
    ReplanSchema,
    ResolveSchema,
    StopStateSchema,
    StopUpdateSchema,
    TodayArgsSchema,
    UnappliedArgsSchema,
    UnappliedReportSchema,
    UrgentSchema,
)
from dispatch.extensions import db
from dispatch.models.users import Role
from dispatch.security import current_scope, roles_required
from dispatch.services import plans, stop_reports, stops

blp = Blueprint("plans", __name__, description="每日计划 / Daily plans")


def _plan(plan_id):
    return plans.get_plan(db.session, current_scope(), plan_id)


@blp.route("/")
class Plans(MethodView):
    @blp.arguments(PlanQueryArgsSchema, location="query")
    @blp.response(200, PlanSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Plans in the caller's scope, newest first"""
        return plans.list_plans(current_scope(), **args)

    @blp.arguments(PlanRequestSchema)
    @blp.response(202, JobSchema)
    @roles_required(Role.DISPATCHER)
    def post(self, data):
        """Start planning a township's day (or the whole region's) as a job; poll the job"""
        return plans.start_planning(
            db.session, current_scope(), data.get("township"), data["day"], data["objective"]
        )


@blp.route("/today")
class Today(MethodView):
    @blp.arguments(TodayArgsSchema, location="query")
    @blp.response(200, PlanDetailSchema)
    @roles_required(Role.AGENT)
    def get(self, args):
        """The calling agent's route in today's published plan (what the phone syncs);
        with ``upcoming=true`` and no route that day, their next published day's route"""
        return plans.agent_today(db.session, current_scope(), args.get("day"), args["upcoming"])


@blp.route("/<int:plan_id>")
class PlanById(MethodView):
    @blp.response(200, PlanDetailSchema)
    def get(self, plan_id):
        """A plan with its routes and stops; contacts masked by role"""
        return plans.view(db.session, current_scope(), _plan(plan_id))


@blp.route("/<int:plan_id>/problem")
class PlanProblem(MethodView):
    @blp.response(200)
    @roles_required(Role.DISPATCHER, Role.SUPERVISOR)
    def get(self, plan_id):
        """The routing problem this plan solved, in VROOM's JSON format"""
        return plans.routing_document(db.session, current_scope(), _plan(plan_id), "problem")


@blp.route("/<int:plan_id>/solution")
class PlanSolution(MethodView):
    @blp.response(200)
    @roles_required(Role.DISPATCHER, Role.SUPERVISOR)
    def get(self, plan_id):
        """The solution stored with this plan, in VROOM's JSON format"""
        return plans.routing_document(db.session, current_scope(), _plan(plan_id), "solution")


@blp.route("/<int:plan_id>/publish")
class PlanPublish(MethodView):
    @blp.response(200, ChangeResultSchema)
    @blp.alt_response(
        409, description="Not a draft, or its base is no longer the published version"
    )
    @roles_required(Role.DISPATCHER)
    def post(self, plan_id):
        """Publish a draft atomically; each agent whose route changed gets one message"""
        return plans.publish(db.session, current_scope(), _plan(plan_id))


@blp.route("/<int:plan_id>/rebase")
class PlanRebase(MethodView):
    @blp.response(201, ChangeResultSchema)
    @blp.alt_response(409, description="Not a draft, or already planned from the current version")
    @roles_required(Role.DISPATCHER)
    def post(self, plan_id):
        """Re-plan a stale draft on the version published now; the stale draft is superseded"""
        return plans.rebase(db.session, current_scope(), _plan(plan_id))


@blp.route("/<int:plan_id>/replan")
class PlanReplan(MethodView):
    @blp.arguments(ReplanSchema)
    @blp.response(201, ChangeResultSchema)
    @roles_required(Role.DISPATCHER)
    def post(self, data, plan_id):
        """Re-solve the day around stops already done; the result is a new draft"""
        return plans.replan(db.session, current_scope(), _plan(plan_id), **data)


@blp.route("/<int:plan_id>/absences")
class PlanAbsence(MethodView):
    @blp.arguments(AbsenceSchema)
    @blp.response(201, ChangeResultSchema)
    @roles_required(Role.DISPATCHER)
    def post(self, data, plan_id):
        """An agent drops out: spread their remaining stops and publish"""
        return plans.mark_absent(db.session, current_scope(), _plan(plan_id), **data)


@blp.route("/<int:plan_id>/urgent")
class PlanUrgent(MethodView):
    @blp.arguments(UrgentSchema)
    @blp.response(201, ChangeResultSchema)
    @roles_required(Role.DISPATCHER)
    def post(self, data, plan_id):
        """Insert an urgent case into today's routes and publish"""
        return plans.insert_urgent(db.session, current_scope(), _plan(plan_id), **data)


@blp.route("/<int:plan_id>/overrides")
class PlanOverrides(MethodView):
    @blp.response(200, OverrideOutSchema(many=True))
    def get(self, plan_id):
        """The dispatcher's pins, forbids, locks and forced moves for this day"""
        return plans.overrides(db.session, current_scope(), _plan(plan_id))

    @blp.arguments(OverrideSchema)
    @blp.response(201, OverrideOutSchema)
    @roles_required(Role.DISPATCHER)
    def post(self, data, plan_id):
        """Pin a task to an agent, forbid a pairing, or lock an agent's route"""
        return plans.add_override(db.session, current_scope(), _plan(plan_id), **data)


@blp.route("/<int:plan_id>/overrides/<int:override_id>")
class PlanOverrideById(MethodView):
    @blp.response(204)
    @blp.alt_response(404, description="No active override of that id on the plan's day")
    @roles_required(Role.DISPATCHER)
    def delete(self, plan_id, override_id):
        """Lift a pin, forbid, lock or absence; re-plan to see the effect"""
        plans.lift_override(db.session, current_scope(), _plan(plan_id), override_id)


@blp.route("/<int:plan_id>/moves")
class PlanMoves(MethodView):
    @blp.arguments(MoveSchema)
    @blp.response(201, ChangeResultSchema)
    @blp.alt_response(409, description="The move breaks constraints; violations listed")
    @roles_required(Role.DISPATCHER)
    def post(self, data, plan_id):
        """Drag a task to an agent and position; rejected with violations unless forced"""
        return plans.move(db.session, current_scope(), _plan(plan_id), **data)


@blp.route("/<int:plan_id>/diff")
class PlanDiff(MethodView):
    @blp.arguments(DiffArgsSchema, location="query")
    @blp.response(200)
    def get(self, args, plan_id):
        """What changed per agent against an earlier version (default: the one it replaced)"""
        return plans.diff(db.session, current_scope(), _plan(plan_id), args.get("against"))


@blp.route("/stops/<int:stop_id>")
class StopById(MethodView):
    @blp.arguments(StopUpdateSchema)
    @blp.response(200, StopStateSchema)
    @blp.alt_response(409, description="Not a legal move, or the task left the current plan")
    @roles_required(Role.AGENT, Role.DISPATCHER)
    def patch(self, data, stop_id):
        """Report a stop arrived, done or failed; repeating the same report is harmless.

        A report naming a stop of a replaced plan version goes to the same task's stop in the
        published version (its id is in the answer); if the task left the plan, the report is
        kept and the answer is a 409.
        """
        return stops.update_stop(db.session, current_scope(), stop_id, **data)


@blp.route("/unapplied-reports")
class UnappliedReports(MethodView):
    @blp.arguments(UnappliedArgsSchema, location="query")
    @blp.response(200, UnappliedReportSchema(many=True))
    @blp.paginate(SelectPage)
    @roles_required(Role.DISPATCHER, Role.SUPERVISOR)
    def get(self, args):
        """Stop reports kept unapplied because their task left the plan, newest first"""
        return stop_reports.list_unapplied(db.session, current_scope(), **args)


@blp.route("/unapplied-reports/<int:report_id>/resolve")
class UnappliedReportResolve(MethodView):
    @blp.arguments(ResolveSchema)
    @blp.response(200, UnappliedReportSchema)
    @blp.alt_response(404, description="No unapplied report of that id in your region")
    @blp.alt_response(409, description="The report was already checked")
    @roles_required(Role.DISPATCHER)
    def post(self, data, report_id):
        """Mark an unapplied stop report as checked, with a note of what was found"""
        return stop_reports.resolve(db.session, current_scope(), report_id, data["note"])
