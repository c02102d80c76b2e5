"""Agents (代办员): zone, shift and vehicle."""

from flask.views import MethodView
from flask_smorest import Blueprint

from dispatch.api.agents.schemas import (
    AgentCreateSchema,
    AgentQueryArgsSchema,
    AgentSchema,
    AgentUpdateSchema,
)
from dispatch.api.pagination import SelectPage
from dispatch.extensions import db
from dispatch.models.users import Role
from dispatch.security import current_scope, roles_required
from dispatch.services import agents

blp = Blueprint("agents", __name__, description="代办员 / Agents")


@blp.route("/")
class Agents(MethodView):
    @blp.arguments(AgentQueryArgsSchema, location="query")
    @blp.response(200, AgentSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, args):
        """Agents in the caller's scope; an agent sees only themself"""
        return agents.list_agents(current_scope(), **args)

    @blp.arguments(AgentCreateSchema)
    @blp.response(201, AgentSchema)
    @blp.alt_response(422, description="Zone village outside the township, or unknown vehicle")
    @roles_required(Role.DISPATCHER)
    def post(self, data):
        """Add an agent to a township of the caller's"""
        return agents.create_agent(db.session, current_scope(), **data)


@blp.route("/<int:agent_id>")
class AgentById(MethodView):
    @blp.etag
    @blp.response(200, AgentSchema)
    @blp.alt_response(404, description="No such agent in your scope")
    def get(self, agent_id):
        """One agent"""
        return agents.get_agent(db.session, current_scope(), agent_id)

    @blp.etag
    @blp.arguments(AgentUpdateSchema)
    @blp.response(200, AgentSchema)
    @roles_required(Role.DISPATCHER)
    def patch(self, data, agent_id):
        """Change an agent's zone, shift or vehicle (send If-Match)"""
        agent = agents.get_agent(db.session, current_scope(), agent_id)
        blp.check_etag(agent, AgentSchema)
        return agents.update_agent(db.session, current_scope(), agent, **data)
