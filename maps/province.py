"""A province's communes (read by gis.unit_shapes), light enough for a map: a simplified coverage.

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
from pyproj import CRS
from sqlalchemy.engine import Engine

from gis.unit_shapes import province_shapes

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
    shapes = province_shapes(engine, province_code)
    communes = shapes.communes
    before = int(shapely.get_num_coordinates(communes.geometry.values).sum())
    metric_crs = communes.estimate_utm_crs()
    communes_metric, light = simplify_coverage(communes, tolerance_m, metric_crs)
    outline = _outline(light.geometry.values)
    return ProvinceBase(
        code=shapes.code,
        name=shapes.name,
        full_name=shapes.full_name,
        communes=light,
        communes_metric=communes_metric,
        outline=outline,
        metric_crs=metric_crs,
        attribution=shapes.source.attribution,
        licence=shapes.source.licence,
        data_as_of=shapes.source.loaded_at,
        tolerance_m=tolerance_m,
        vertices_before=before,
        vertices_after=int(shapely.get_num_coordinates(light.geometry.values).sum()),
    )


def simplify_coverage(
    units: gpd.GeoDataFrame,
    tolerance_m: float,
    metric_crs: CRS,
    decimals: int = COORD_DECIMALS,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Units simplified as one coverage in ``metric_crs``: (metric, EPSG:4326 rounded)."""
    simplified_m = shapely.coverage_simplify(units.to_crs(metric_crs).geometry.values, tolerance_m)
    metric = units.set_geometry(gpd.array.from_shapely(simplified_m, crs=metric_crs))
    light = metric.to_crs(4326)
    light = light.set_geometry(
        shapely.transform(light.geometry.values, lambda xy: np.round(xy, decimals))
    )
    return metric, light


def _outline(geoms: np.ndarray) -> shapely.Geometry:
    # Shared edges are identical after the coverage simplification, so the fast coverage
    # union applies; a source with overlaps falls back to the general (slower) union.
    if shapely.coverage_is_valid(geoms):
        union = shapely.coverage_union_all(geoms)
    else:
        union = shapely.union_all(shapely.make_valid(geoms))
    return shapely.transform(union, lambda xy: np.round(xy, COORD_DECIMALS))
