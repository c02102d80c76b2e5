"""The status machine of a case: which moves are legal from where, given the item's level."""

from __future__ import annotations

from dispatch.models.cases import Status

S = Status

NEXT: dict[Status, tuple[Status, ...]] = {
    S.REGISTERED: (S.MATERIALS_CHECKED, S.RETURNED, S.CANCELLED),
    S.RETURNED: (S.REGISTERED, S.CANCELLED),
    # The agent may find a document missing at collection: back with a written notice.
    S.MATERIALS_CHECKED: (S.WITH_AGENT, S.AT_TOWNSHIP, S.RETURNED, S.CANCELLED),
    S.WITH_AGENT: (S.AT_TOWNSHIP, S.CANCELLED),
    S.AT_TOWNSHIP: (S.AT_COUNTY, S.DECIDED, S.CANCELLED),
    S.AT_COUNTY: (S.DECIDED,),
    S.DECIDED: (S.RETURNING,),
    S.RETURNING: (S.DELIVERED,),
    S.DELIVERED: (S.CLOSED,),
    S.CLOSED: (),
    S.CANCELLED: (),
}


def allowed_next(status: Status, decided_at: str) -> list[Status]:
    """Legal next statuses; a township item is decided at the township, others go up."""
    options = list(NEXT[status])
    if status == S.AT_TOWNSHIP:
        options.remove(S.AT_COUNTY if decided_at == "township" else S.DECIDED)
    return options
