"""Printed forms (PDF) of a case, and an agent's route sheet for the day."""

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.forms.schemas import HandoverArgsSchema, RouteSheetArgsSchema
from dispatch.extensions import db
from dispatch.security import current_scope
from dispatch.services import forms

# The forms hang under the resources they print: /api/cases/<id>/forms/..., /api/agents/<id>/...
URL_PREFIX = "/api"
blp = Blueprint("forms", __name__, description="打印表单 / Printed forms (PDF)")
PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}


def pdf(body: bytes, name: str) -> Response:
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@blp.route(
    "/cases/<int:case_id>/forms/<any(receipt,notice,handover,decision,entrustment):kind>.pdf"
)
class CaseForm(MethodView):
    @blp.arguments(HandoverArgsSchema, location="query")
    @blp.response(200, content_type="application/pdf", description="The form as a PDF")
    @blp.alt_response(404, description="No such case in your scope")
    @blp.alt_response(409, description="The case has no such form yet (no notice, no hand-over)")
    def get(self, args, case_id, kind):
        """One printed form of a case: receipt, notice, handover (交接单), decision (办结单 or
        不予许可告知书) or entrustment (代办委托书)"""
        body = forms.case_form(db.session, current_scope(), case_id, kind, args.get("seq"))
        return pdf(body, f"{case_id}-{kind}.pdf")


@blp.route("/agents/<int:agent_id>/route-sheet.pdf")
class RouteSheet(MethodView):
    @blp.arguments(RouteSheetArgsSchema, location="query")
    @blp.response(200, content_type="application/pdf", description="The route sheet as a PDF")
    @blp.alt_response(404, description="No such agent in your scope, or no published route")
    def get(self, args, agent_id):
        """An agent's published route for a day on paper (agents: their own only)"""
        body = forms.route_sheet(db.session, current_scope(), agent_id, args["day"])
        return pdf(body, f"route-{agent_id}-{args['day']}.pdf")
