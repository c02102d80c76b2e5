"""Travel matrices: the :class:`MatrixProvider` protocol and a great-circle provider.

A road-network engine (an OSRM or Valhalla table service) can be plugged in later by writing
a small class with the same ``matrix`` method.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from routing.model import Matrix

__all__ = ["EARTH_RADIUS_M", "DEFAULT_SPEEDS_KMH", "HaversineProvider", "MatrixProvider"]

logger = logging.getLogger("routing.matrix")

#: Mean earth radius, as used by ``geopy.distance.great_circle``.
EARTH_RADIUS_M = 6_371_009.0
DEFAULT_SPEEDS_KMH: Mapping[str, float] = {"motorbike": 30.0, "car": 40.0, "walking": 4.5}


@runtime_checkable
class MatrixProvider(Protocol):
    """Anything that turns ``(lon, lat)`` points into a :class:`~routing.Matrix`."""

    def matrix(self, points: Sequence[tuple[float, float]], profile: str) -> Matrix:
        """Return durations (s) and distances (m) between all ``points`` for ``profile``."""
        ...


@dataclass(frozen=True)
class HaversineProvider:
    """Great-circle distance times ``circuity``, at a constant speed per profile.

    Parameters
    ----------
    speeds_kmh
        Average speed per profile in km/h; an unknown profile raises ``ValueError``.
    circuity
        Ratio of road distance to great-circle distance (1.3 is typical for rural roads).
    """

    speeds_kmh: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SPEEDS_KMH))
    circuity: float = 1.3

    def __post_init__(self) -> None:
        if self.circuity < 1.0:
            raise ValueError(f"circuity: {self.circuity} is below 1")
        for profile, speed in self.speeds_kmh.items():
            if speed <= 0:
                raise ValueError(f"speeds_kmh[{profile!r}]: {speed} is not positive")

    def matrix(self, points: Sequence[tuple[float, float]], profile: str) -> Matrix:
        """Build the matrix for ``points`` at the speed of ``profile``.

        Parameters
        ----------
        points
            ``(lon, lat)`` pairs in WGS-84 degrees.
        profile
            A key of ``speeds_kmh``.

        Returns
        -------
        Matrix
            Integer durations in seconds and distances in metres.
        """
        if profile not in self.speeds_kmh:
            raise ValueError(f"profile: no speed for {profile!r}")
        metres = great_circle_matrix(points)
        metres *= self.circuity
        seconds = np.multiply(metres, 3.6 / self.speeds_kmh[profile])
        # In place: at 2,000 points each temporary array is 32 MB.
        return Matrix(
            durations=np.rint(seconds, out=seconds), distances=np.rint(metres, out=metres)
        )


def great_circle_matrix(points: Sequence[tuple[float, float]]) -> np.ndarray:
    """Return the great-circle distance in metres between every pair of ``(lon, lat)`` points.

    Uses the chord between unit vectors (one matrix product and one arcsin per pair), which
    equals the haversine formula and is several times faster on large matrices.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    lon, lat = np.radians(pts[:, 0]), np.radians(pts[:, 1])
    xyz = np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))
    out: np.ndarray = xyz @ xyz.T  # cosines; then, in place, the chord and the arc
    out *= -2.0
    out += 2.0
    np.maximum(out, 0.0, out=out)
    np.sqrt(out, out=out)
    out *= 0.5
    np.minimum(out, 1.0, out=out)
    np.arcsin(out, out=out)
    out *= 2 * EARTH_RADIUS_M
    np.fill_diagonal(out, 0.0)
    return out
