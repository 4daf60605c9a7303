"""In-memory point-in-polygon over the loaded communes (shapely STRtree, vectorised).

PostGIS joins a million points to full-resolution polygons in ~18 s here; bounding-box
candidates from an STRtree tested against prepared polygons take ~3 s for a million
points nationally, so bulk paths (imports, batch geocoding) use this index and keep
PostGIS for set-based analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Engine


@dataclass
class CommuneIndex:
    """Commune polygons with their codes and provinces, queryable by point."""

    codes: np.ndarray  # commune code per polygon
    province_codes: np.ndarray  # province code per polygon
    geoms: np.ndarray  # shapely MultiPolygons, EPSG:4326
    tree: shapely.STRtree

    @classmethod
    def from_engine(cls, engine: Engine, province: str | None = None) -> CommuneIndex:
        """Index every loaded commune (or those of one province)."""
        sql = sa.text(
            "SELECT code, parent_code, ST_AsBinary(geom) FROM admin_unit "
            "WHERE level = 'commune' AND (CAST(:p AS text) IS NULL OR parent_code = :p) "
            "ORDER BY code"
        )
        with engine.connect() as conn:
            rows = conn.execute(sql, {"p": province}).all()
        codes = np.array([r[0] for r in rows], dtype=object)
        provinces = np.array([r[1] for r in rows], dtype=object)
        geoms = shapely.from_wkb([bytes(r[2]) for r in rows]) if rows else np.array([], object)
        shapely.prepare(geoms)
        return cls(codes, provinces, geoms, shapely.STRtree(geoms))

    def __len__(self) -> int:
        return len(self.codes)

    def lookup(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Position of the commune holding each point in ``codes`` (-1 where none does).

        The tree gives bounding-box candidates; each polygon then tests its candidates
        with ``intersects_xy`` on its prepared geometry. (A predicate inside the tree
        query would prepare the points instead of the polygons: 15× slower nationally.)
        A point on a shared edge goes to the commune with the lowest code, so the answer
        does not depend on the order of the tree.
        """
        x = np.asarray(lons, dtype=float)
        y = np.asarray(lats, dtype=float)
        found = np.full(len(x), -1, dtype=np.int64)
        if len(x) == 0 or len(self) == 0:
            return found
        point_idx, poly_idx = self.tree.query(shapely.points(x, y))
        if len(point_idx) == 0:
            return found
        order = np.argsort(poly_idx, kind="stable")
        point_idx, poly_idx = point_idx[order], poly_idx[order]
        hit = np.zeros(len(point_idx), dtype=bool)
        starts = np.flatnonzero(np.r_[True, poly_idx[1:] != poly_idx[:-1]])
        for start, end in zip(starts, np.r_[starts[1:], len(poly_idx)], strict=True):
            candidates = point_idx[start:end]
            hit[start:end] = shapely.intersects_xy(
                self.geoms[poly_idx[start]], x[candidates], y[candidates]
            )
        # Keep the lowest-code polygon per point: codes are sorted, indices follow.
        lowest = np.full(len(x), len(self), dtype=np.int64)
        np.minimum.at(lowest, point_idx[hit], poly_idx[hit])
        found[lowest < len(self)] = lowest[lowest < len(self)]
        return found

    def commune_codes(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Commune code holding each point (None where no loaded commune does)."""
        idx = self.lookup(lons, lats)
        out = np.full(len(idx), None, dtype=object)
        hit = idx >= 0
        out[hit] = self.codes[idx[hit]]
        return out
