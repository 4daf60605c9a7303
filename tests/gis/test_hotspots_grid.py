"""H3 grid hotspots and the quartic kernel density surface."""

from __future__ import annotations

import math

import h3
import numpy as np
import pytest
from numpy.testing import assert_allclose

from gis.commune_index import CommuneIndex
from gis.density import density_grid, kernel_density, quartic_kernel
from gis.errors import InputError
from gis.hotspots import IncidentFilter
from gis.hotspots_grid import choose_resolution, grid_hotspots, grid_hotspots_result
from tests.gis import analysis_fixtures as fx
from tests.gis.analysis_fixtures import commune_points, insert_incidents

analysis_url = fx.analysis_url
analysis_engine = fx.analysis_engine


def _uniform_points(engine, n: int, seed: int):
    index = CommuneIndex.from_engine(engine, "37")
    xmin, ymin, xmax, ymax = np.array([g.bounds for g in index.geoms]).T
    rng = np.random.default_rng(seed)
    lon = rng.uniform(xmin.min(), xmax.max(), n)
    lat = rng.uniform(ymin.min(), ymax.max(), n)
    found = index.commune_codes(lon, lat)
    inside = found != None  # noqa: E711 -- elementwise on an object array
    return lon[inside], lat[inside], found[inside]


def test_resolution_follows_incident_density():
    # 1,000 incidents over Ninh Bình's 3,873 km²: ~39 km² a hexagon → resolution 6 (36 km²)
    assert choose_resolution(1_000, 3_873) == 6
    assert choose_resolution(100_000, 3_873) == 8  # ~0.39 km² → res 8 (0.74 km²)
    assert choose_resolution(0, 3_873) == 5


def test_a_dense_spot_is_a_grid_hotspot_and_coarse_incidents_are_left_out(analysis_engine):
    lon, lat, codes = _uniform_points(analysis_engine, 1_500, seed=3)
    insert_incidents(analysis_engine, lon, lat, commune_code=codes)
    spot = commune_points(analysis_engine).iloc[40]
    rng = np.random.default_rng(4)
    near_lon = spot.lon + rng.normal(0, 0.002, 200)  # ~200 m spread
    near_lat = spot.lat + rng.normal(0, 0.002, 200)
    insert_incidents(analysis_engine, near_lon, near_lat)
    insert_incidents(analysis_engine, [spot.lon] * 7, [spot.lat] * 7, commune_code=[spot.code] * 7,
                     precision="commune")  # fmt: skip
    frame = grid_hotspots(analysis_engine, IncidentFilter("37"), resolution=7)
    assert frame.attrs["left_out"] == 7
    assert frame.attrs["used"] == len(lon) + 200
    assert frame["incidents"].sum() == len(lon) + 200
    hot_cell = h3.latlng_to_cell(spot.lat, spot.lon, 7)
    row = frame.set_index("h3_cell").loc[hot_cell]
    assert row.bin == 3 and row.neighbours == 6
    # the band takes the six touching hexagons: ~1.25 × 2.3 km at resolution 7
    assert 2_000 < frame.attrs["band_m"] < 4_000
    assert frame["neighbours"].max() == 6
    hot = frame.loc[frame["bin"] > 0, "h3_cell"]
    # hot only around the spot (its points may spill into the next hexagon)
    assert set(hot) <= set(h3.grid_disk(hot_cell, 2))


def test_uniform_random_points_give_no_more_grid_hotspots_than_chance(analysis_engine):
    lon, lat, codes = _uniform_points(analysis_engine, 20_000, seed=11)
    insert_incidents(analysis_engine, lon, lat, commune_code=codes)
    frame = grid_hotspots(analysis_engine, IncidentFilter("37"), resolution=7, fdr=False)
    n = len(frame)
    # cells on the province edge are partly outside it and hold fewer points: keep the
    # interior (cells with all six neighbours) for the false-positive check
    interior = frame[frame["neighbours"] == 6]
    assert len(interior) > 0.6 * n
    share = (interior["bin"] != 0).mean()
    assert share <= 0.10 + 3 * math.sqrt(0.1 * 0.9 / len(interior))
    with_fdr = grid_hotspots(analysis_engine, IncidentFilter("37"), resolution=7)
    assert (with_fdr.loc[with_fdr["neighbours"] == 6, "bin"] != 0).mean() <= 0.02


def test_grid_hotspots_need_precise_incidents(analysis_engine):
    spot = commune_points(analysis_engine).iloc[0]
    insert_incidents(analysis_engine, [spot.lon], [spot.lat], commune_code=[spot.code],
                     precision="commune")  # fmt: skip
    with pytest.raises(InputError, match="no incident in the window is located finer") as info:
        grid_hotspots_result(analysis_engine, IncidentFilter("37"))
    assert "1 known only to their commune" in info.value.message
    with pytest.raises(InputError, match="resolution 12 is outside 5–10"):
        insert_incidents(analysis_engine, [spot.lon], [spot.lat])
        grid_hotspots(analysis_engine, IncidentFilter("37"), resolution=12)


def test_quartic_kernel_integrates_to_one_and_peaks_where_it_should():
    h = 1_000.0
    x, y, surface, cell = density_grid(np.array([500_000.0]), np.array([2_200_000.0]), h, 50.0)
    assert cell == 50.0
    assert surface.max() == pytest.approx(3 / (math.pi * h**2) * 1e6)  # per km²
    assert surface.sum() * (cell / 1_000) ** 2 == pytest.approx(1.0, rel=2e-3)
    j, i = np.unravel_index(surface.argmax(), surface.shape)
    assert (x[i], y[j]) == (500_000.0, 2_200_000.0)


def test_density_grid_equals_the_direct_sum_of_kernels():
    rng = np.random.default_rng(5)
    h, cell = 800.0, 100.0
    px = 600_000 + rng.uniform(0, 5_000, 300)
    py = 2_250_000 + rng.uniform(0, 5_000, 300)
    x, y, surface, _ = density_grid(px, py, h, cell)
    gx, gy = np.meshgrid(x, y)
    # points moved to the centre of their cell: the convolution is then exact
    sx = x[0] + np.round((px - x[0]) / cell) * cell
    sy = y[0] + np.round((py - y[0]) / cell) * cell
    direct = sum(quartic_kernel(np.hypot(gx - a, gy - b), h) for a, b in zip(sx, sy, strict=True))
    assert_allclose(surface, direct * 1e6, rtol=0, atol=surface.max() * 1e-9)
    # and the true points: within the error of half a cell
    exact = sum(quartic_kernel(np.hypot(gx - a, gy - b), h) for a, b in zip(px, py, strict=True))
    assert np.abs(surface - exact * 1e6).max() < 0.15 * surface.max()


def test_kernel_density_of_ninh_binh_incidents(analysis_engine):
    spot = commune_points(analysis_engine).iloc[10]
    rng = np.random.default_rng(6)
    insert_incidents(analysis_engine, spot.lon + rng.normal(0, 0.003, 100),
                     spot.lat + rng.normal(0, 0.003, 100))  # fmt: skip
    frame = kernel_density(analysis_engine, IncidentFilter("37"), bandwidth_m=1_500, min_share=0)
    assert frame.attrs["used"] == 100 and frame.attrs["crs"] == "EPSG:32648"
    peak = frame.loc[frame["density_per_km2"].idxmax()]
    assert abs(peak.lon - spot.lon) < 0.01 and abs(peak.lat - spot.lat) < 0.01
    total = frame["density_per_km2"].sum() * (frame.attrs["cell_m"] / 1_000) ** 2
    assert total == pytest.approx(100, rel=0.01)
    trimmed = kernel_density(analysis_engine, IncidentFilter("37"), bandwidth_m=1_500)
    assert len(trimmed) < len(frame)
    assert trimmed["density_per_km2"].min() >= 0.01 * frame["density_per_km2"].max()
    with pytest.raises(InputError, match="bandwidth -1"):
        kernel_density(analysis_engine, IncidentFilter("37"), bandwidth_m=-1)
