"""The status machine of a case: which moves are legal from where, given the item's level.

``NEXT`` holds the moves of ``POST /api/cases/<id>/transitions``. The branches (补正, refusal,
suspension, withdrawal, on-site completion) have their own use cases in
``services.branches``; their moves are listed in ``BRANCH_FROM`` and never made by a bare
transition, because each needs its reason, its notice or its clock.
"""

from __future__ import annotations

from dispatch.models.cases import Status

S = Status

NEXT: dict[Status, tuple[Status, ...]] = {
    S.REGISTERED: (S.MATERIALS_CHECKED, S.RETURNED, S.CANCELLED),
    S.RETURNED: (S.REGISTERED, S.CANCELLED),
    # The agent may find a document missing at collection: back with a written notice.
    S.MATERIALS_CHECKED: (S.WITH_AGENT, S.AT_TOWNSHIP, S.RETURNED, S.CANCELLED),
    # Held by an agent or a centre: a cancel is a withdrawal (services.branches.withdraw),
    # which brings the documents back down; a bare cancel would leave them where they are.
    S.WITH_AGENT: (S.AT_TOWNSHIP,),
    S.AT_TOWNSHIP: (S.AT_COUNTY, S.DECIDED),
    S.AT_COUNTY: (S.DECIDED,),
    S.DECIDED: (S.RETURNING,),
    S.RETURNING: (S.DELIVERED,),
    S.DELIVERED: (S.CLOSED,),
    S.CLOSED: (),
    S.CANCELLED: (),
    S.SUPPLEMENT: (),
    S.SUPPLEMENTING: (),
    S.REFUSED: (),
    S.WITHDRAWN: (),
    S.SUSPENDED: (),
}

# The file goes back down the relay in these; handing it to the villager ends the trip here.
GOING_DOWN: dict[Status, Status] = {
    S.RETURNING: S.DELIVERED,
    S.SUPPLEMENT: S.SUPPLEMENTING,
    S.REFUSED: S.CLOSED,
    S.WITHDRAWN: S.CANCELLED,
}
# Before the decision: the documents climb; an agent carries them only under an entrustment.
GOING_UP = frozenset(
    {S.REGISTERED, S.RETURNED, S.MATERIALS_CHECKED, S.WITH_AGENT, S.AT_TOWNSHIP, S.AT_COUNTY}
)
# The promise's clock does not run in these (补正 time and 中止 time do not count).
CLOCK_STOPPED = frozenset({S.SUPPLEMENT, S.SUPPLEMENTING, S.SUSPENDED})
# Nobody hands the documents on in these: held where they are, or the villager's to complete.
NO_HAND_OVER = frozenset({S.CLOSED, S.CANCELLED, S.SUSPENDED, S.SUPPLEMENTING})

# Where each branch may start.
BRANCH_FROM: dict[str, frozenset[Status]] = {
    "on_site": frozenset({S.REGISTERED, S.MATERIALS_CHECKED}),
    # 补正 and refusal: at the deciding centre (``at_decision``).
    "supplement": frozenset({S.AT_TOWNSHIP, S.AT_COUNTY}),
    "refusal": frozenset({S.AT_TOWNSHIP, S.AT_COUNTY}),
    "supplement_received": frozenset({S.SUPPLEMENTING}),
    "suspension": GOING_UP,
    "continuation": frozenset({S.SUSPENDED}),
    "withdrawal": GOING_UP | {S.SUPPLEMENT, S.SUPPLEMENTING, S.SUSPENDED},
}


def allowed_next(status: Status, decided_at: str) -> list[Status]:
    """Legal next statuses; a township item is decided at the township, others go up, and a
    village item is decided on the spot (``services.branches.complete_on_site``)."""
    options = list(NEXT[status])
    if decided_at == "village":
        return [s for s in options if s not in (S.WITH_AGENT, S.AT_TOWNSHIP)]
    if status == S.AT_TOWNSHIP:
        options.remove(S.AT_COUNTY if decided_at == "township" else S.DECIDED)
    return options


def at_decision(status: Status, decided_at: str) -> bool:
    """Whether a case in ``status`` is before the centre that decides its item."""
    if decided_at == "township":
        return status == S.AT_TOWNSHIP
    return status == S.AT_COUNTY and decided_at in ("county", "city")
