"""Kernel density of incidents for heatmaps: quartic kernel, bandwidth in metres, metric CRS.

The quartic (biweight) kernel, as ArcGIS' Kernel Density and QGIS' heatmap use it:
K(d) = 3 / (π h²) · (1 − d²/h²)² for d < h, which integrates to 1, so the surface is in
incidents per m² (reported per km²). Points are counted on a fine grid in EPSG:32648 and
the grid is convolved with the kernel (FFT): exact for points at cell centres, and within
half a cell of exact elsewhere. Only incidents located finer than the commune are used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.signal import fftconvolve
from sqlalchemy.engine import Engine

from gis.errors import InputError
from gis.incident_filter import ALL_INCIDENTS, IncidentFilter, NoIncidents, incident_points
from gis.results import StoredResult, compute_or_read
from gis.weights import METRIC_CRS

CELLS_PER_BANDWIDTH = 5  # default cell size: a fifth of the bandwidth
MIN_SHARE = 0.01  # cells under 1 % of the peak are left out: a heatmap shows nothing there
MAX_CELLS = 4_000_000  # the grid grows coarser rather than past this


def quartic_kernel(d_m: np.ndarray, bandwidth_m: float) -> np.ndarray:
    """Quartic kernel density at distances ``d_m`` (per m²; zero beyond the bandwidth)."""
    u2 = (np.asarray(d_m, dtype=float) / bandwidth_m) ** 2
    return np.where(u2 < 1, 3.0 / (np.pi * bandwidth_m**2) * (1 - u2) ** 2, 0.0)


def density_grid(
    x_m: np.ndarray, y_m: np.ndarray, bandwidth_m: float, cell_m: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Density per km² on a grid around metric points: (x centres, y centres, values, cell_m).

    ``values[j, i]`` is the density at (x[i], y[j]).
    """
    if bandwidth_m <= 0:
        raise InputError(f"bandwidth {bandwidth_m} m is not positive", "give --bandwidth-m > 0")
    cell_m = float(cell_m or bandwidth_m / CELLS_PER_BANDWIDTH)
    xmin, xmax = x_m.min() - bandwidth_m, x_m.max() + bandwidth_m
    ymin, ymax = y_m.min() - bandwidth_m, y_m.max() + bandwidth_m
    while ((xmax - xmin) / cell_m + 1) * ((ymax - ymin) / cell_m + 1) > MAX_CELLS:
        cell_m *= 1.5
    nx = int(np.ceil((xmax - xmin) / cell_m)) + 1
    ny = int(np.ceil((ymax - ymin) / cell_m)) + 1
    x_edges = xmin - cell_m / 2 + cell_m * np.arange(nx + 1)
    y_edges = ymin - cell_m / 2 + cell_m * np.arange(ny + 1)
    counts, _, _ = np.histogram2d(y_m, x_m, bins=[y_edges, x_edges])
    reach = int(np.ceil(bandwidth_m / cell_m))
    offsets = cell_m * np.arange(-reach, reach + 1)
    kernel = quartic_kernel(np.hypot(*np.meshgrid(offsets, offsets)), bandwidth_m)
    surface = fftconvolve(counts, kernel, mode="same")
    surface[surface < kernel.max() * 1e-9] = 0.0  # FFT round-off where there is nothing
    return xmin + cell_m * np.arange(nx), ymin + cell_m * np.arange(ny), surface * 1e6, cell_m


def kernel_density(
    engine: Engine,
    incidents: IncidentFilter = ALL_INCIDENTS,
    *,
    bandwidth_m: float = 1000.0,
    cell_m: float | None = None,
    min_share: float = MIN_SHARE,
) -> pd.DataFrame:
    """Incident density surface: the cells at or above ``min_share`` of the peak.

    Columns: lon, lat (cell centre), x_m, y_m (EPSG:32648), density_per_km2.
    ``attrs``: bandwidth_m, cell_m, crs, used, left_out, peak_per_km2.
    """
    incidents = incidents.check(engine)
    points = incident_points(engine, incidents)
    if len(points) == 0:
        raise NoIncidents(
            f"no incident in the window is located finer than its commune "
            f"({points.left_out} known only to their commune or province)",
            "a density surface needs coordinates or street addresses",
        )
    to_metric = Transformer.from_crs(4326, METRIC_CRS, always_xy=True)
    x_m, y_m = to_metric.transform(points.lon, points.lat)
    xs, ys, surface, cell_m = density_grid(np.asarray(x_m), np.asarray(y_m), bandwidth_m, cell_m)
    peak = float(surface.max())
    rows, cols = np.nonzero((surface > 0) & (surface >= min_share * peak))
    cx, cy = xs[cols], ys[rows]
    lon, lat = Transformer.from_crs(METRIC_CRS, 4326, always_xy=True).transform(cx, cy)
    out = pd.DataFrame(
        {"lon": lon, "lat": lat, "x_m": cx, "y_m": cy, "density_per_km2": surface[rows, cols]}
    )
    out.attrs.update(
        bandwidth_m=bandwidth_m, cell_m=cell_m, crs=f"EPSG:{METRIC_CRS}", used=len(points),
        left_out=points.left_out, peak_per_km2=peak,
    )  # fmt: skip
    return out


def density_result(
    engine: Engine,
    incidents: IncidentFilter = ALL_INCIDENTS,
    *,
    bandwidth_m: float = 1000.0,
    cell_m: float | None = None,
    min_share: float = MIN_SHARE,
    refresh: bool = False,
) -> StoredResult:
    """``kernel_density`` kept with its parameters; recomputed only when inputs change."""
    incidents = incidents.check(engine)
    params = {**incidents.params(), "bandwidth_m": bandwidth_m, "cell_m": cell_m,
              "min_share": min_share}  # fmt: skip

    def compute():
        frame = kernel_density(
            engine, incidents, bandwidth_m=bandwidth_m, cell_m=cell_m, min_share=min_share
        )
        return frame, dict(frame.attrs) | {"cells": len(frame)}

    return compute_or_read(
        engine, "density", incidents.province or "all", params, compute, "lonlat",
        refresh=refresh,
    )  # fmt: skip
