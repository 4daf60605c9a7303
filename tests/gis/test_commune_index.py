"""CommuneIndex agrees with PostGIS point-in-polygon on real communes."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import sqlalchemy as sa

from gis import commune_index
from gis.commune_index import CommuneIndex


@pytest.fixture(params=["sweep", "bands", "tree"], autouse=True)
def path(request, monkeypatch):
    """Every test runs on the three paths of `lookup`: the sweep (very many points), the
    latitude bands (an import chunk) and the tree query (a few points)."""
    few, many = {"sweep": (0, 0), "bands": (0, 10**9), "tree": (10**9, 10**9)}[request.param]
    monkeypatch.setattr(commune_index, "FEW_POINTS", few)
    monkeypatch.setattr(commune_index, "MANY_POINTS", many)
    return request.param


def test_lookup_matches_postgis(nb_engine):
    index = CommuneIndex.from_engine(nb_engine)
    assert len(index) == 129
    rng = np.random.default_rng(7)
    lons = rng.uniform(105.50, 106.65, 3000)
    lats = rng.uniform(19.85, 20.75, 3000)
    codes = index.commune_codes(lons, lats)
    expected = _postgis_codes(nb_engine, lons, lats)
    assert list(codes) == expected
    assert sum(c is None for c in codes) > 100  # the box reaches outside the province


def test_empty_inputs(nb_engine):
    index = CommuneIndex.from_engine(nb_engine, province="37")
    assert index.lookup(np.array([]), np.array([])).shape == (0,)
    assert index.commune_codes(np.array([0.0]), np.array([0.0]))[0] is None


def test_shared_vertices_go_to_the_lowest_code_and_nan_to_none(nb_engine):
    """Points exactly on polygon vertices (shared by neighbours) and on bounding-box
    edges: the lowest code holding them, as PostGIS says; NaN finds no commune."""
    index = CommuneIndex.from_engine(nb_engine)
    coords = shapely.get_coordinates(index.geoms)[::5]
    xmin, ymin, xmax, ymax = shapely.bounds(index.geoms).T
    lons = np.r_[coords[:, 0], xmin, xmax, (xmin + xmax) / 2]
    lats = np.r_[coords[:, 1], (ymin + ymax) / 2, (ymin + ymax) / 2, ymin]
    codes = index.commune_codes(lons, lats)
    expected = _postgis_codes(nb_engine, lons, lats)
    assert list(codes) == expected
    assert len(set(expected) - {None}) > 100  # most communes are reached
    lons_nan = np.r_[np.nan, lons[:3], 105.9]
    lats_nan = np.r_[20.2, lats[:3], np.nan]
    assert list(index.commune_codes(lons_nan, lats_nan)) == [None, *expected[:3], None]


def _postgis_codes(engine, lons, lats) -> list:
    with engine.connect() as conn:
        return (
            conn.execute(
                sa.text(
                    """SELECT (SELECT min(code) FROM admin_unit a WHERE a.level = 'commune'
                             AND ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(x, y), 4326)))
                     FROM unnest(CAST(:x AS float8[]), CAST(:y AS float8[]))
                          WITH ORDINALITY AS t(x, y, i) ORDER BY i"""
                ),
                {"x": lons.tolist(), "y": lats.tolist()},
            )
            .scalars()
            .all()
        )
