"""Small problems shared by the routing tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from routing import Matrix, SolveParams

FAST = SolveParams(time_limit=0.5)


def line_matrix(xs: Sequence[float], speed: float = 1.0) -> Matrix:
    """Locations on a line at positions ``xs`` (metres); travel takes metres / speed s."""
    pos = np.asarray(xs, dtype=float)
    metres = np.abs(pos[:, None] - pos[None, :])
    return Matrix(durations=np.rint(metres / speed), distances=np.rint(metres))


@pytest.fixture
def fast() -> SolveParams:
    """Short search parameters for tests."""
    return FAST
