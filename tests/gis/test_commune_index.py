"""CommuneIndex agrees with PostGIS point-in-polygon on real communes."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from gis.commune_index import CommuneIndex


def test_lookup_matches_postgis(nb_engine):
    index = CommuneIndex.from_engine(nb_engine)
    assert len(index) == 129
    rng = np.random.default_rng(7)
    lons = rng.uniform(105.50, 106.65, 3000)
    lats = rng.uniform(19.85, 20.75, 3000)
    codes = index.commune_codes(lons, lats)
    with nb_engine.connect() as conn:
        expected = (
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
    assert list(codes) == expected
    assert sum(c is None for c in codes) > 100  # the box reaches outside the province


def test_empty_inputs(nb_engine):
    index = CommuneIndex.from_engine(nb_engine, province="37")
    assert index.lookup(np.array([]), np.array([])).shape == (0,)
    assert index.commune_codes(np.array([0.0]), np.array([0.0]))[0] is None
