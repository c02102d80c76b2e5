"""``GET /api/kpis?level=township&period=2026-11[&format=xlsx]``, scoped to the caller's region."""

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.kpis.schemas import KpiArgsSchema, KpiSchema
from dispatch.extensions import db
from dispatch.security import current_scope
from dispatch.services.kpi_workbook import kpi_workbook
from dispatch.services.kpis import compute_kpis

blp = Blueprint("kpis", __name__, description="考核指标 / KPIs from the records")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("")
class Kpis(MethodView):
    @blp.arguments(KpiArgsSchema, location="query")
    @blp.response(200, KpiSchema)
    @blp.alt_response(422, description="Unknown level or period")
    def get(self, args):
        """Cases, visits, custody, dispatch and 好差评 per county, township or agent"""
        answer = compute_kpis(db.session, current_scope(), args["level"], args["period"])
        if args["format"] != "xlsx":
            return answer
        name = f"daiban-kpis-{args['level']}-{args['period']}.xlsx"
        return Response(
            kpi_workbook(answer),
            mimetype=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
