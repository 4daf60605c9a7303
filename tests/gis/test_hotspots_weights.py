"""Commune contiguity: built once per boundary version and kept; islands handled explicitly."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from gis.boundaries import boundary_version
from gis.hotspots import gi_star
from gis.weights import commune_contiguity, distance_band, ensure_contiguity
from tests.gis import analysis_fixtures as fx
from tests.gis.analysis_fixtures import neighbours_of
from tests.helpers import count

analysis_url = fx.analysis_url
analysis_engine = fx.analysis_engine


def test_contiguity_is_built_once_per_boundary_version_and_matches_postgis(analysis_engine):
    version = ensure_contiguity(analysis_engine)
    assert version == boundary_version(analysis_engine)
    with analysis_engine.connect() as conn:
        built_at = conn.scalar(sa.text("SELECT built_at FROM neighbour_build"))
    assert ensure_contiguity(analysis_engine) == version
    with analysis_engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT built_at FROM neighbour_build")) == built_at
    assert count(analysis_engine, "SELECT count(*) FROM neighbour_build") == 1
    codes = [r for r in fx.commune_points(analysis_engine)["code"]]
    neighbours = commune_contiguity(analysis_engine, codes)
    assert len(neighbours) == 129 and not neighbours.island.any()
    # symmetric, binary, no self links
    a = neighbours.adjacency
    assert (a != a.T).nnz == 0 and set(np.unique(a.data)) == {1.0} and a.diagonal().sum() == 0
    # the same pairs as an exact PostGIS intersection test, for a sample of communes
    for code in codes[::16]:
        row = neighbours.adjacency[int(np.searchsorted(neighbours.codes, code))]
        assert sorted(neighbours.codes[row.indices]) == neighbours_of(analysis_engine, code)


def test_a_new_boundary_version_rebuilds_and_drops_the_old(analysis_engine):
    first = ensure_contiguity(analysis_engine)
    with analysis_engine.begin() as conn:  # what a reload does: a newer boundary source
        conn.execute(
            sa.text(
                "INSERT INTO boundary_source (name, level, origin, files, feature_count, "
                "fingerprint) VALUES ('test', 'commune', 'test', '{}', 0, 'x')"
            )
        )
    try:
        second = ensure_contiguity(analysis_engine)
        assert second > first
        versions = count(analysis_engine, "SELECT count(*) FROM neighbour_build")
        assert versions == 1
        assert (
            count(analysis_engine, "SELECT min(boundary_version) FROM commune_neighbour") == second
        )
    finally:
        with analysis_engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM neighbour_build"))
            conn.execute(sa.text("DELETE FROM boundary_source WHERE name = 'test'"))


def test_islands_of_a_subset_are_linked_to_the_nearest_or_left_out(analysis_engine):
    codes = fx.commune_points(analysis_engine)["code"].tolist()
    lonely = codes[0]
    # the lonely commune and a block of others that do not touch it
    others = [c for c in codes if c not in {lonely, *neighbours_of(analysis_engine, lonely)}]
    subset = [lonely, *others[:40]]
    linked = commune_contiguity(analysis_engine, subset, islands="nearest")
    position = int(np.searchsorted(linked.codes, lonely))
    assert linked.island[position] and linked.own_neighbours[position] == 0
    assert linked.neighbours[position] >= 1  # linked to its nearest commune, both ways
    partner = linked.codes[linked.adjacency[position].indices[0]]
    back = linked.adjacency[int(np.searchsorted(linked.codes, partner))].indices
    assert lonely in set(linked.codes[back])
    left_out = commune_contiguity(analysis_engine, subset, islands="exclude")
    assert left_out.neighbours[position] == 0
    values = np.arange(len(subset), dtype=float) % 5
    result = gi_star(values, left_out)
    assert np.isnan(result["z"][position]) and result["bin"][position] == 0
    assert result["island"][position]


def test_distance_band_links_points_within_the_band():
    x = np.array([0.0, 100.0, 250.0, 1000.0])
    y = np.zeros(4)
    band = distance_band(np.array(["a", "b", "c", "d"]), x, y, 160.0)
    assert band.adjacency.toarray().tolist() == [
        [0, 1, 0, 0],
        [1, 0, 1, 0],
        [0, 1, 0, 0],
        [0, 0, 0, 0],
    ]
    assert band.island.tolist() == [False, False, False, True]
