"""One way to get the regions above a village: its township, and where an item is decided."""

from dispatch.models.regions import decision_code, township_code


def test_region_codes_of_a_village():
    """A village's township, and the deciding centre's region for each item level."""
    village = "445203103201"
    assert township_code(village) == "445203103000"
    assert township_code("445203103000") == "445203103000"
    assert decision_code(village, "county") == "445203000000"
    assert decision_code(village, "city") == "445200000000"
    assert decision_code(village, "township") == "445203103000"
