"""Long-running jobs and their progress."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.jobs.schemas import JobSchema
from dispatch.extensions import db
from dispatch.jobs import get_job
from dispatch.security import current_scope

blp = Blueprint("jobs", __name__, description="后台任务 / Jobs")


@blp.route("/<string:job_id>")
class JobById(MethodView):
    @blp.response(200, JobSchema)
    def get(self, job_id):
        """A job's status and percentage done"""
        return get_job(db.session, current_scope(), job_id)
