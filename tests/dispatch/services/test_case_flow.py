"""The case status machine: legal moves depend on the status and the deciding level."""

from __future__ import annotations

import pytest

from dispatch.models.cases import Status
from dispatch.services.case_flow import allowed_next


@pytest.mark.parametrize(
    ("status", "level", "expected"),
    [
        (Status.AT_TOWNSHIP, "township", [Status.DECIDED]),
        (Status.AT_TOWNSHIP, "county", [Status.AT_COUNTY]),
        (Status.AT_TOWNSHIP, "city", [Status.AT_COUNTY]),
        (
            Status.MATERIALS_CHECKED,
            "county",
            [Status.WITH_AGENT, Status.AT_TOWNSHIP, Status.RETURNED, Status.CANCELLED],
        ),
        (Status.CLOSED, "county", []),
        (Status.CANCELLED, "township", []),
    ],
)
def test_allowed_next(status, level, expected):
    """Township items are decided at the township; county and city items go up first; a case
    the centre holds is withdrawn (a return leg), never cancelled bare."""
    assert allowed_next(status, level) == expected
