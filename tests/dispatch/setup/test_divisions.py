"""Importing the divisions: idempotent, every village placed, and placed where it belongs."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import Point, shape
from sqlalchemy import func, select

from dispatch.extensions import db
from dispatch.models.regions import Region
from dispatch.services.regions import survey_point
from dispatch.setup.divisions import import_divisions


def test_importing_twice_changes_nothing(app, divisions_dir):
    """The second import finds all 1,765 rows unchanged."""
    with app.app_context():
        report = import_divisions(db.session, divisions_dir / "divisions.csv")
        assert (report.created, report.updated, report.unchanged) == (0, 0, 1765)


def test_every_village_has_a_point_and_a_source(app):
    """All 1,651 villages have coordinates, official or synthetic."""
    with app.app_context():
        counts = dict(
            db.session.execute(
                select(Region.coord_source, func.count())
                .where(Region.level == "village")
                .group_by(Region.coord_source)
            ).all()
        )
    assert counts.get(None, 0) == 0
    assert counts["official"] == 157 and sum(counts.values()) == 1651


@pytest.fixture(scope="module")
def polygons(divisions_dir):
    town = {
        c: shape(f["geometry"])
        for f in json.loads((divisions_dir / "townships.geojson").read_text())["features"]
        for c in f["properties"]["nbs_codes"]
    }
    county = {
        f["properties"]["code"]: shape(f["geometry"])
        for f in json.loads((divisions_dir / "counties.geojson").read_text())["features"]
    }
    return town, county


def test_synthetic_villages_lie_in_their_township_or_county(app, polygons):
    """榕城区 villages fall inside their township polygon, the rest inside their county."""
    town, county = polygons
    with app.app_context():
        rows = db.session.execute(
            select(Region.code, Region.lon, Region.lat, Region.parent_id).where(
                Region.level == "village", Region.coord_source == "synthetic"
            )
        ).all()
        parents = dict(db.session.execute(select(Region.id, Region.code)).all())
    assert len(rows) == 1651 - 157
    for code, lon, lat, parent_id in rows:
        township = parents[parent_id]
        area = town.get(township) or county[code[:6] + "000000"]
        assert area.buffer(0.005).contains(Point(lon, lat)), code


def test_a_surveyed_point_survives_a_reimport(app, divisions_dir):
    """Staff capture a real point; the next import keeps it."""
    with app.app_context():
        code = db.session.scalar(
            select(Region.code)
            .where(Region.level == "village", Region.coord_source == "synthetic")
            .order_by(Region.code)
        )
        survey_point(db.session, code, 116.2, 23.4)
        import_divisions(db.session, divisions_dir / "divisions.csv")
        region = db.session.scalar(select(Region).where(Region.code == code))
        assert (region.lon, region.lat, region.coord_source) == (116.2, 23.4, "surveyed")
