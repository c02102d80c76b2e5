"""Great-circle matrices against geopy, and the provider protocol."""

from __future__ import annotations

import numpy as np
import pytest
from geopy.distance import geodesic, great_circle

from routing import HaversineProvider, Matrix, MatrixProvider

POINTS = [
    (116.372, 23.550),
    (116.155, 23.437),
    (115.842, 23.431),
    (116.166, 23.040),
    (116.295, 23.309),
    (116.372, 23.5501),
]


@pytest.mark.parametrize(("i", "j"), [(0, 1), (0, 2), (1, 3), (2, 4), (0, 5), (3, 3)])
def test_distance_matches_geopy(i: int, j: int) -> None:
    """Distances divided by circuity equal geopy's great circle (1 m) and geodesic (0.5%)."""
    m = HaversineProvider(circuity=1.3).matrix(POINTS, "car")
    assert m.distances is not None
    (lon1, lat1), (lon2, lat2) = POINTS[i], POINTS[j]
    gc = great_circle((lat1, lon1), (lat2, lon2)).meters
    assert abs(m.distances[i, j] / 1.3 - gc) <= 1.0
    geo = geodesic((lat1, lon1), (lat2, lon2)).meters
    assert abs(m.distances[i, j] / 1.3 - geo) <= 0.005 * geo + 1.0


@pytest.mark.parametrize(("profile", "kmh"), [("motorbike", 30.0), ("car", 40.0), ("walking", 4.5)])
def test_duration_follows_the_profile_speed(profile: str, kmh: float) -> None:
    """Duration is distance over the configured profile speed."""
    m = HaversineProvider().matrix(POINTS, profile)
    assert m.distances is not None
    assert abs(m.durations[0, 1] - m.distances[0, 1] / (kmh / 3.6)) <= 1


def test_speeds_and_circuity_are_configurable() -> None:
    """A custom provider changes distances and times; unknown profiles fail."""
    m = HaversineProvider(speeds_kmh={"boat": 10.0}, circuity=1.0).matrix(POINTS[:2], "boat")
    assert m.distances is not None and m.distances.shape == (2, 2)
    with pytest.raises(ValueError, match="profile"):
        HaversineProvider().matrix(POINTS, "boat")


def test_provider_is_a_protocol() -> None:
    """Any class with a matrix() method is a MatrixProvider."""

    class Fixed:
        def matrix(self, points: object, profile: str) -> Matrix:
            return Matrix(np.zeros((1, 1)))

    assert isinstance(Fixed(), MatrixProvider)
    assert isinstance(HaversineProvider(), MatrixProvider)


def test_large_matrix_is_symmetric_integer() -> None:
    """A 2,000-point matrix builds as symmetric int64 arrays."""
    rng = np.random.default_rng(0)
    pts = list(zip(rng.uniform(115.8, 116.6, 2000), rng.uniform(22.9, 23.8, 2000), strict=True))
    m = HaversineProvider().matrix(pts, "motorbike")
    assert m.durations.dtype == np.int64 and m.size == 2000
    assert np.array_equal(m.durations, m.durations.T)
