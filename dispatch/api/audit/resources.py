"""``GET /api/audit/access``: who read whose data whole, when and why; and its CSV export."""

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.audit.schemas import AccessQueryArgsSchema, AccessRecordSchema
from dispatch.api.pagination import SelectPage
from dispatch.extensions import db
from dispatch.models.users import Role
from dispatch.security import current_scope, roles_required
from dispatch.services.access_records import access_csv, list_access

blp = Blueprint("audit", __name__, description="处理活动记录 / Records of personal data access")


@blp.route("/access")
class AccessRecords(MethodView):
    @blp.arguments(AccessQueryArgsSchema, location="query")
    @blp.response(200, AccessRecordSchema(many=True))
    @blp.alt_response(403, description="Only admins and supervisors read the records")
    @blp.paginate(SelectPage)
    @roles_required(Role.SUPERVISOR)
    def get(self, args):
        """Access records about people in the caller's region, newest first"""
        return list_access(current_scope(), **args)


@blp.route("/access/export")
class AccessExport(MethodView):
    @blp.arguments(AccessQueryArgsSchema, location="query")
    @blp.response(200, content_type="text/csv")
    @blp.alt_response(403, description="Only admins and supervisors read the records")
    @roles_required(Role.SUPERVISOR)
    def get(self, args):
        """The same records as a CSV file (UTF-8)"""
        text = access_csv(db.session, list_access(current_scope(), **args))
        return Response(
            text,
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="daiban-access-records.csv"'},
        )
