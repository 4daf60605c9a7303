"""H3 hexagons of grid results kept as polygons in PostGIS (``h3_cell``), with their commune.

PostGIS has no H3 functions here: the shapes of the cells a grid result uses are stored once
(a cell's shape never changes), and each cell gets the commune holding its centre (or the
nearest) for scope filtering, derived again when the boundaries change.
"""

from __future__ import annotations

import h3
import numpy as np
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.boundaries import boundary_version
from gis.results import StoredResult


def hexagon_wkb(cells: np.ndarray) -> list[bytes]:
    """Polygons (WKB, lon/lat) of H3 cells given as hexadecimal ids."""
    rings = [[(lon, lat) for lat, lon in h3.cell_to_boundary(c)] for c in cells]  # ~5 µs each
    return shapely.to_wkb(shapely.polygons(rings)).tolist() if rings else []


def keep_cells(engine: Engine, stored: StoredResult) -> None:
    """Store the hexagons of a grid result that are not kept yet, and give every cell of
    it the commune of its centre (or the nearest) for the current boundary version."""
    cells = stored.frame["h3_cell"].astype(str).to_numpy() if len(stored.frame) else []
    if not len(cells):
        return
    with engine.begin() as conn:
        missing = np.array(
            conn.scalars(
                sa.text(
                    "SELECT c FROM unnest(CAST(:cells AS text[])) c "
                    "WHERE NOT EXISTS (SELECT 1 FROM h3_cell h WHERE h.cell = c)"
                ),
                {"cells": list(cells)},
            ).all(),
            dtype=object,
        )
        if len(missing):
            conn.execute(
                sa.text(
                    "INSERT INTO h3_cell (cell, resolution, geom) SELECT c, :res, "
                    "ST_GeomFromWKB(w, 4326) FROM unnest(CAST(:cells AS text[]), "
                    "CAST(:wkb AS bytea[])) AS t(c, w) ON CONFLICT (cell) DO NOTHING"
                ),
                {
                    "cells": list(missing),
                    "wkb": hexagon_wkb(missing),
                    "res": h3.get_resolution(str(missing[0])),
                },
            )
        conn.execute(
            sa.text(
                """
                UPDATE h3_cell h SET province_code = n.parent_code, commune_code = n.code,
                       boundary_version = :version
                  FROM (SELECT c.cell, u.code, u.parent_code FROM h3_cell c
                        CROSS JOIN LATERAL (
                            SELECT code, parent_code FROM admin_unit WHERE level = 'commune'
                             ORDER BY geom <-> ST_Centroid(c.geom) LIMIT 1) u
                        WHERE c.cell = ANY(:cells)
                          AND c.boundary_version IS DISTINCT FROM :version) n
                 WHERE h.cell = n.cell
                """
            ),
            {"cells": list(cells), "version": boundary_version(engine)},
        )
