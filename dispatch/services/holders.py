"""Whether a case's holder matches its status, for every kind of holder.

The relay's promise: the villager holds a case at home, an agent holds it on the road, a
centre (a village room, the township, county or city centre) only in a status its kind may
hold (``cases.CENTRE_HOLDS``), and the custody chain ends at the holder.
"""

from __future__ import annotations

from dispatch.models.agents import Agent
from dispatch.models.cases import Case, HolderKind, Status
from dispatch.models.centres import ServiceCentre
from dispatch.models.session import DbSession
from dispatch.services.case_flow import GOING_DOWN
from dispatch.services.cases import CENTRE_HOLDS

#: Statuses in which the documents are with the villager and nobody else.
AT_HOME = frozenset({Status.SUPPLEMENTING, Status.DELIVERED, Status.CLOSED, Status.CANCELLED})
#: The villager may also hold a case not yet sent up, or one stopped at home.
APPLICANT_HOLDS = AT_HOME | {
    Status.REGISTERED,
    Status.MATERIALS_CHECKED,
    Status.RETURNED,
    Status.SUSPENDED,
}
#: An agent carries a case up (to the township, or on the car's county run) or down.
AGENT_HOLDS = frozenset({Status.WITH_AGENT, Status.AT_TOWNSHIP, Status.SUSPENDED}) | set(GOING_DOWN)


def holder_misfit(session: DbSession, case: Case) -> str | None:
    """Why the case's holder does not fit its status or its custody chain; None if it does."""
    status, kind = Status(case.status), case.holder_kind
    if kind == HolderKind.APPLICANT:
        if status not in APPLICANT_HOLDS:
            return f"case {case.id} is {status} but its villager holds it"
        if case.holder_id != case.applicant_id:
            return f"case {case.id} is held by villager {case.holder_id}, not its own"
    elif kind == HolderKind.AGENT:
        if status not in AGENT_HOLDS:
            return f"case {case.id} is {status} but agent {case.holder_id} holds it"
        if session.get(Agent, case.holder_id) is None:
            return f"case {case.id} is held by agent {case.holder_id}, who does not exist"
    elif kind == HolderKind.CENTRE:
        centre = session.get(ServiceCentre, case.holder_id)
        if centre is None:
            return f"case {case.id} is held by centre {case.holder_id}, which does not exist"
        if status not in CENTRE_HOLDS[centre.kind]:
            return f"case {case.id} is {status} but a {centre.kind} centre holds it"
    else:
        return f"case {case.id} has an unknown holder kind {kind}"
    return _chain_misfit(case)


def _chain_misfit(case: Case) -> str | None:
    holder = (HolderKind.APPLICANT, case.applicant_id)
    for handed in case.custody:
        if (handed.from_kind, handed.from_id) != holder:
            return f"case {case.id}: receipt {handed.receipt_no} is not from the holder {holder}"
        holder = (handed.to_kind, handed.to_id)
    if holder != (case.holder_kind, case.holder_id):
        return f"case {case.id}: the custody chain ends at {holder}, not at its holder"
    return None
