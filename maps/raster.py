"""A density surface (gis.density, a metric grid) as a coloured image for a web map.

Leaflet stretches an image overlay linearly in Web Mercator between its corners, so the
surface is resampled onto a grid regular in EPSG:3857 (bilinear, vectorised with
scipy.ndimage) rather than drawn in its own UTM grid, which would be off by up to a few
hundred metres at the edges of a province.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
import pandas as pd
from PIL import Image
from pyproj import Transformer
from scipy.ndimage import map_coordinates

DENSITY_CMAP = "YlOrRd"
MAX_PIXELS = 1024  # longest side of the image
MIN_SHARE = 0.02  # below 2 % of the peak the surface is left transparent


@dataclass(frozen=True)
class DensityImage:
    """RGBA pixels (rows north → south) and their bounds [[south, west], [north, east]]."""

    rgba: np.ndarray
    bounds: list[list[float]]
    peak_per_km2: float


def metric_grid(frame: pd.DataFrame, cell_m: float) -> tuple[np.ndarray, float, float]:
    """The cells of a density result back on their grid: (values[j, i], x0_m, y0_m)."""
    x, y = frame["x_m"].to_numpy(float), frame["y_m"].to_numpy(float)
    x0, y0 = x.min(), y.min()
    i = np.rint((x - x0) / cell_m).astype(np.int64)
    j = np.rint((y - y0) / cell_m).astype(np.int64)
    grid = np.zeros((j.max() + 1, i.max() + 1))
    grid[j, i] = frame["density_per_km2"].to_numpy(float)
    return grid, x0, y0


def resample(
    frame: pd.DataFrame, cell_m: float, source_crs, target_crs, max_pixels: int = MAX_PIXELS
) -> tuple[np.ndarray, tuple[float, float, float, float], float]:
    """A density result on a grid regular in ``target_crs`` (bilinear, rows north → south).

    Returns (values, (west, east, south, north) in target_crs units, peak of the source).
    """
    grid, x0, y0 = metric_grid(frame, cell_m)
    ny, nx = grid.shape
    # The source box's outline (densified) gives the target extent.
    t = np.linspace(0, 1, 50)
    edge_x = np.concatenate([t * nx, np.full(50, nx), t[::-1] * nx, np.zeros(50)]) - 0.5
    edge_y = np.concatenate([np.zeros(50), t * ny, np.full(50, ny), t[::-1] * ny]) - 0.5
    forward = Transformer.from_crs(source_crs, target_crs, always_xy=True)
    tx, ty = forward.transform(x0 + edge_x * cell_m, y0 + edge_y * cell_m)
    west, east, south, north = tx.min(), tx.max(), ty.min(), ty.max()
    pixel = max(cell_m / 2, (east - west) / max_pixels, (north - south) / max_pixels)
    width = int(np.ceil((east - west) / pixel))
    height = int(np.ceil((north - south) / pixel))
    px, py = np.meshgrid(
        west + (np.arange(width) + 0.5) * pixel, north - (np.arange(height) + 0.5) * pixel
    )
    back = Transformer.from_crs(target_crs, source_crs, always_xy=True)
    gx, gy = back.transform(px.ravel(), py.ravel())
    fi = (np.asarray(gx) - x0) / cell_m
    fj = (np.asarray(gy) - y0) / cell_m
    values = map_coordinates(grid, [fj, fi], order=1, cval=0.0).reshape(height, width)
    extent = (west, west + width * pixel, north - height * pixel, north)
    return values, extent, float(grid.max())


def density_image(
    frame: pd.DataFrame, cell_m: float, metric_crs: str, max_pixels: int = MAX_PIXELS
) -> DensityImage:
    """Resample a density result (x_m, y_m, density_per_km2) into a Web Mercator image."""
    values, (west, east, south, north), peak = resample(frame, cell_m, metric_crs, 3857, max_pixels)
    rgba = colour_density(values, peak)
    to_lonlat = Transformer.from_crs(3857, 4326, always_xy=True)
    (w_lon, e_lon), (s_lat, n_lat) = to_lonlat.transform([west, east], [south, north])
    return DensityImage(rgba, [[s_lat, w_lon], [n_lat, e_lon]], peak)


def png_data_url(rgba: np.ndarray, colours: int = 64) -> str:
    """RGBA pixels as a palette PNG data: URL (a smooth ramp needs few colours; ~4× lighter)."""
    image = Image.fromarray(rgba, "RGBA").quantize(colours, method=Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def density_colours(n: int = 5) -> list[str]:
    """Hex colours along the density ramp (for the legend)."""
    cmap = mpl.colormaps[DENSITY_CMAP]
    return [mpl.colors.to_hex(cmap(v)) for v in np.linspace(0.15, 1.0, n)]


def colour_density(values: np.ndarray, peak: float) -> np.ndarray:
    """RGBA uint8: the ramp by share of the peak, transparent where (nearly) nothing is."""
    share = np.clip(values / peak, 0, 1) if peak > 0 else np.zeros_like(values)
    cmap = mpl.colormaps[DENSITY_CMAP]
    rgba = cmap(0.15 + 0.85 * share)
    rgba[..., 3] = np.where(share < MIN_SHARE, 0.0, 0.35 + 0.55 * np.sqrt(share))
    return (rgba * 255).round().astype(np.uint8)
