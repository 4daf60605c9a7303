"""A province's communes from PostGIS, light enough for a map: simplified as a coverage.

Simplifying each commune on its own opens slivers and overlaps along shared edges; the
coverage simplification (GEOS, shapely.coverage_simplify) moves every shared edge once, for
both neighbours. Tolerance is in metres (done in the province's UTM zone), and coordinates
are then rounded to 5 decimals of a degree (~1.1 m), which keeps shared vertices identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import geopandas as gpd
import numpy as np
import shapely
import sqlalchemy as sa
from pyproj import CRS
from sqlalchemy.engine import Engine

from gis.errors import NotFound
from gis.schema import admin_unit, boundary_source

DEFAULT_TOLERANCE_M = 5.0
COORD_DECIMALS = 5  # 1e-5° ≈ 1.1 m of latitude, ≈ 1.05 m of longitude at 20°N


@dataclass(frozen=True)
class ProvinceBase:
    """Simplified communes and outline of one province, with their source and as-of time."""

    code: str
    name: str
    full_name: str
    communes: gpd.GeoDataFrame  # code, name, full_name, unit_type, area_km2; EPSG:4326
    communes_metric: gpd.GeoDataFrame  # same rows, simplified, in metric_crs (unrounded)
    outline: shapely.Geometry  # union of the simplified communes, EPSG:4326
    metric_crs: CRS
    attribution: str
    licence: str | None
    data_as_of: datetime | None
    tolerance_m: float
    vertices_before: int
    vertices_after: int


def load_province(
    engine: Engine, province_code: str, tolerance_m: float = DEFAULT_TOLERANCE_M
) -> ProvinceBase:
    """Read a province and its communes, simplify them as one coverage, round coordinates."""
    u = admin_unit
    with engine.connect() as conn:
        province = conn.execute(
            sa.select(u.c.code, u.c.name, u.c.full_name).where(
                u.c.code == province_code, u.c.level == "province"
            )
        ).one_or_none()
        if province is None:
            raise NotFound(
                f"province {province_code!r} is not loaded",
                f"run `tuquan boundaries fetch --province {province_code}` "
                "(`tuquan boundaries list` shows what is loaded)",
            )
        query = (
            sa.select(
                u.c.code,
                u.c.name,
                u.c.full_name,
                u.c.unit_type,
                u.c.area_km2,
                sa.func.ST_AsBinary(u.c.geom).label("geom"),
            )
            .where(u.c.parent_code == province_code, u.c.level == "commune")
            .order_by(u.c.code)
        )
        communes = gpd.read_postgis(query, conn, geom_col="geom", crs=4326)
        source = conn.execute(
            sa.select(
                sa.func.string_agg(sa.distinct(boundary_source.c.attribution), "; "),
                sa.func.string_agg(sa.distinct(boundary_source.c.licence), ", "),
                sa.func.max(boundary_source.c.loaded_at),
            ).where(
                boundary_source.c.id.in_(
                    sa.select(u.c.source_id).where(
                        sa.or_(u.c.code == province_code, u.c.parent_code == province_code)
                    )
                )
            )
        ).one()
    if communes.empty:
        raise NotFound(
            f"province {province_code} ({province.name}) has no communes loaded",
            f"run `tuquan boundaries fetch --province {province_code}`",
        )
    communes = communes.rename_geometry("geometry")
    before = int(shapely.get_num_coordinates(communes.geometry.values).sum())
    metric_crs = communes.estimate_utm_crs()
    simplified_m = shapely.coverage_simplify(
        communes.to_crs(metric_crs).geometry.values, tolerance_m
    )
    communes_metric = communes.set_geometry(gpd.array.from_shapely(simplified_m, crs=metric_crs))
    light = communes_metric.to_crs(4326)
    light = light.set_geometry(
        shapely.transform(light.geometry.values, lambda xy: np.round(xy, COORD_DECIMALS))
    )
    outline = _outline(light.geometry.values)
    return ProvinceBase(
        code=province.code,
        name=province.name,
        full_name=province.full_name,
        communes=light,
        communes_metric=communes_metric,
        outline=outline,
        metric_crs=metric_crs,
        attribution=source[0] or "",
        licence=source[1],
        data_as_of=source[2],
        tolerance_m=tolerance_m,
        vertices_before=before,
        vertices_after=int(shapely.get_num_coordinates(light.geometry.values).sum()),
    )


def _outline(geoms: np.ndarray) -> shapely.Geometry:
    # Shared edges are identical after the coverage simplification, so the fast coverage
    # union applies; a source with overlaps falls back to the general (slower) union.
    if shapely.coverage_is_valid(geoms):
        union = shapely.coverage_union_all(geoms)
    else:
        union = shapely.union_all(shapely.make_valid(geoms))
    return shapely.transform(union, lambda xy: np.round(xy, COORD_DECIMALS))
