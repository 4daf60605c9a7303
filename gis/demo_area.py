"""The place the demo data is made for: current communes, their neighbours, and the
pre-2025 communes and districts inside them (from vietnamadminunits).

Deterministic: everything is ordered by code, so a seed gives the same files every time.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.commune_index import CommuneIndex
from gis.errors import InputError
from gis.gazetteer_sources import package_data_dir


@dataclass
class Area:
    """Current communes of one province, with the old units that lie in them."""

    province_code: str
    province_name: str
    communes: pd.DataFrame  # code, name, full_name, unit_type, lon, lat (representative point)
    geoms: np.ndarray  # shapely polygons, aligned with communes
    neighbours: list[np.ndarray]  # per commune: positions of the communes it touches
    wards: pd.DataFrame  # old communes: ward, ward_type, district, district_code, province, …
    index: CommuneIndex

    def random_points(self, positions: np.ndarray, rng: np.random.Generator):
        """One uniform random point inside each commune named by ``positions``."""
        positions = np.asarray(positions)
        lon = np.full(len(positions), np.nan)
        lat = np.full(len(positions), np.nan)
        bounds = shapely.bounds(self.geoms)
        todo = np.arange(len(positions))
        while len(todo):
            b = bounds[positions[todo]]
            x = rng.uniform(b[:, 0], b[:, 2])
            y = rng.uniform(b[:, 1], b[:, 3])
            inside = shapely.contains_xy(self.geoms[positions[todo]], x, y)
            lon[todo[inside]], lat[todo[inside]] = x[inside], y[inside]
            todo = todo[~inside]
        return lon, lat

    def commune_at(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Position in ``communes`` of the commune holding each point (-1: outside)."""
        found = self.index.lookup(lon, lat)
        codes = np.where(found >= 0, self.index.codes[np.maximum(found, 0)], None)
        lookup = {c: i for i, c in enumerate(self.communes["code"])}
        return np.array([lookup.get(c, -1) for c in codes], dtype=np.int64)


def _legacy_units() -> pd.DataFrame:
    path = package_data_dir() / "dataset.db"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return pd.read_sql_query(
            "SELECT wardCode AS ward_code, ward, wardShort AS ward_short, wardType AS ward_type, "
            "districtCode AS district_code, district, districtShort AS district_short, "
            "districtType AS district_type, province, provinceShort AS province_short, "
            "wardLon AS lon, wardLat AS lat, districtLon AS district_lon, "
            "districtLat AS district_lat FROM admin_units_legacy "
            "WHERE wardLat IS NOT NULL ORDER BY wardCode",
            conn,
        )
    finally:
        conn.close()


def load_area(engine: Engine, province: str) -> Area:
    """The loaded communes of ``province`` and the old communes inside them."""
    sql = sa.text(
        "SELECT c.code, c.name, c.full_name, c.unit_type, p.name AS province_name, "
        "ST_AsBinary(c.geom) AS wkb FROM admin_unit c JOIN admin_unit p ON p.code = c.parent_code "
        "WHERE c.level = 'commune' AND c.parent_code = :p ORDER BY c.code"
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, {"p": province}).mappings().all()
    if not rows:
        raise InputError(
            f"no communes of province {province} are loaded",
            f"load them first: tuquan boundaries fetch --province {province}",
        )
    geoms = shapely.from_wkb([bytes(r["wkb"]) for r in rows])
    shapely.prepare(geoms)
    inner = shapely.point_on_surface(geoms)
    communes = pd.DataFrame(
        {
            "code": [r["code"] for r in rows],
            "name": [r["name"] for r in rows],
            "full_name": [r["full_name"] for r in rows],
            "unit_type": [(r["unit_type"] or "").lower() for r in rows],
            "lon": shapely.get_x(inner),
            "lat": shapely.get_y(inner),
        }
    )
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left != right
    neighbours = [np.sort(right[keep][left[keep] == i]) for i in range(len(geoms))]
    index = CommuneIndex.from_engine(engine, province)
    wards = _legacy_units()
    area = Area(province, rows[0]["province_name"], communes, geoms, neighbours, wards, index)
    pos = area.commune_at(wards["lon"].to_numpy(), wards["lat"].to_numpy())
    area.wards = wards.assign(commune_pos=pos)[pos >= 0].reset_index(drop=True)
    return area
