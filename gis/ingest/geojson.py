"""GeoJSON features: properties as cells, Point geometries as coordinates (reprojected to
EPSG:4326); other geometries are refused row by row. Read whole (GDAL reads it whole)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from gis.errors import InputError
from gis.ingest.table import GEOMETRY_KIND, GEOMETRY_LAT, GEOMETRY_LON, ROW, Table, cell_text, nfc


def open_geojson(path: Path) -> Table:
    """Every feature of a GeoJSON file as a row of cells (points as lon/lat)."""
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # GDAL reports every parse problem as its own error class
        raise InputError(
            f"{path.name}: not a readable GeoJSON file ({exc})",
            "check that it is a FeatureCollection (export it again from QGIS)",
        ) from None
    geometry = frame.geometry
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        geometry = geometry.to_crs(4326)
    kinds = geometry.geom_type.fillna("")
    headers = [nfc(str(c)) for c in frame.columns if c != frame.geometry.name]
    cells = pd.DataFrame(
        {i: frame[h].map(cell_text) for i, h in enumerate(headers)}, index=frame.index
    )
    points = (kinds == "Point").to_numpy()
    xs = np.where(points, shapely.get_x(geometry.array), np.nan)
    ys = np.where(points, shapely.get_y(geometry.array), np.nan)
    cells[len(headers)] = [_coordinate_text(x) for x in xs]
    cells[len(headers) + 1] = [_coordinate_text(y) for y in ys]
    # Non-point geometries are refused row by row (see validate: GEOMETRY_KIND).
    cells[len(headers) + 2] = kinds.where(~points & (kinds != ""), "")
    cells[ROW] = range(1, len(cells) + 1)  # feature number
    all_headers = [*headers, GEOMETRY_LON, GEOMETRY_LAT, GEOMETRY_KIND]
    return Table(
        path, "geojson", all_headers, 0, _geojson_chunks, total=len(cells), extra={"cells": cells}
    )


def _coordinate_text(value: float) -> str:
    return "" if value is None or math.isnan(value) else repr(float(value))


def _geojson_chunks(table: Table, size: int, advance) -> Iterator[pd.DataFrame]:
    cells = table.extra["cells"]
    for start in range(0, len(cells), size):
        chunk = cells.iloc[start : start + size].reset_index(drop=True)
        yield chunk
        advance(len(chunk))
