"""Thematic map layers vs the plain folium way of drawing the same data (same run, ratios).

Needs Ninh Bình loaded in the configured database (`make demo`). Sites and incidents are
generated here (fixed seed), so nothing is written to the database:

- sites: tuquan's compact marker rows vs one folium Marker + Popup per site;
- density: the kernel density surface as a palette PNG overlay vs folium's HeatMap of the
  same surface cells;
- national (when every commune is loaded): the national map vs a plain folium choropleth.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import folium
import numpy as np
import pandas as pd
from folium import plugins
from pyproj import Transformer

from bench._report import Section, Stats, repeat
from gis.density import density_grid
from gis.weights import METRIC_CRS
from maps.base import province_base_map
from maps.hotspots import density_layer
from maps.offline import render_html
from maps.province import load_province
from maps.raster import density_image
from maps.sites import site_layer, site_popup_html
from tuquan import context

PROVINCE = "37"
SITES = 450  # about the demo data's
INCIDENTS = 20_000
SEED = 7
SECTION = Section("thematic_maps", "Thematic map layers vs plain folium")


def _sites(base, rng) -> pd.DataFrame:
    points = base.communes.geometry.representative_point()
    pick = rng.integers(0, len(points), SITES)
    kinds = np.array(["commune", "village", "clan", "religious", "organisation"])
    return pd.DataFrame(
        {
            "ref": [f"S{i:04d}" for i in range(SITES)],
            "name": [f"Mô hình tự quản số {i}" for i in range(SITES)],
            "kind": kinds[rng.integers(0, 5, SITES)],
            "status": np.where(rng.random(SITES) < 0.3, "pilot", "replicated"),
            "components": [sorted(set(rng.integers(1, 6, 3).tolist())) for _ in range(SITES)],
            "started_on": date(2021, 3, 1),
            "pilot_on": date(2021, 3, 1),
            "replicated_on": date(2022, 6, 1),
            "suspended_on": None,
            "host_unit": "Công an xã",
            "commune_name": base.communes["name"].to_numpy()[pick],
            "lon": points.x.to_numpy()[pick] + rng.normal(0, 0.003, SITES),
            "lat": points.y.to_numpy()[pick] + rng.normal(0, 0.003, SITES),
            "is_synthetic": True,
        }
    )


def _timed(fn):
    """(Stats of REPEATS timings, the last value)."""
    return repeat(fn)


def _bytes_with(base, layer_fn) -> int:
    pm = province_base_map(base)
    layer_fn(pm.map)
    return len(render_html(pm.map).encode())


def _report(what: str, ours: tuple[Stats, int], peer: tuple[Stats, int], peer_name: str):
    (t1, b1), (t2, b2) = ours, peer
    SECTION.line(f"{what}: tuquan {b1 / 1e6:.2f} MB, {peer_name} {b2 / 1e6:.2f} MB "
                 f"(size ratio tuquan / peer {b1 / b2:.2f})")  # fmt: skip
    SECTION.figure(f"{what}, build, tuquan", t1)
    SECTION.figure(f"{what}, build, {peer_name}", t2)
    SECTION.ratio(f"{what}, build time peer / tuquan", t1, t2)
    SECTION.line()


def main() -> None:
    engine = context.raw_engine()
    base = load_province(engine, PROVINCE)
    rng = np.random.default_rng(SEED)
    sites = _sites(base, rng)
    empty = _bytes_with(base, lambda m: None)

    def ours_sites(m):
        site_layer(sites).add_to(m)

    def folium_sites(m):
        group = folium.FeatureGroup(name="sites").add_to(m)
        for site in sites.itertuples(index=False):
            folium.Marker(
                [site.lat, site.lon],
                icon=folium.DivIcon(html='<div class="tq-marker"></div>'),
                popup=folium.Popup(site_popup_html(site), max_width=320),
            ).add_to(group)

    ours = _timed(lambda: _bytes_with(base, ours_sites) - empty)
    peer = _timed(lambda: _bytes_with(base, folium_sites) - empty)
    _report(f"{SITES} sites", ours, peer, "folium Marker+Popup each")

    # incidents around the communes' points, a density surface as gis.density computes it
    centres = base.communes.geometry.representative_point()
    pick = rng.integers(0, len(centres), INCIDENTS)
    lon = centres.x.to_numpy()[pick] + rng.normal(0, 0.01, INCIDENTS)
    lat = centres.y.to_numpy()[pick] + rng.normal(0, 0.01, INCIDENTS)
    x_m, y_m = Transformer.from_crs(4326, METRIC_CRS, always_xy=True).transform(lon, lat)
    xs, ys, surface, cell_m = density_grid(np.asarray(x_m), np.asarray(y_m), 1000.0)
    rows, cols = np.nonzero(surface)
    back = Transformer.from_crs(METRIC_CRS, 4326, always_xy=True)
    c_lon, c_lat = back.transform(xs[cols], ys[rows])
    frame = pd.DataFrame({"lon": c_lon, "lat": c_lat, "x_m": xs[cols], "y_m": ys[rows],
                          "density_per_km2": surface[rows, cols]})  # fmt: skip

    ours = _timed(
        lambda: (
            _bytes_with(
                base,
                lambda m: density_layer(density_image(frame, cell_m, f"EPSG:{METRIC_CRS}")).add_to(
                    m
                ),
            )
            - empty
        )
    )
    heat = frame[["lat", "lon", "density_per_km2"]].to_numpy().round(5).tolist()
    peer = _timed(
        lambda: _bytes_with(base, lambda m: plugins.HeatMap(heat, name="heat").add_to(m)) - empty
    )
    _report(f"density surface ({len(frame):,} cells)", ours, peer, "folium HeatMap of the cells")
    _national(engine)
    SECTION.save()


def _national(engine) -> None:
    from gis.unit_shapes import national_shapes
    from maps.national import national_map

    shapes = national_shapes(engine)
    if len(shapes.communes) < 3000:
        SECTION.line(f"national: only {len(shapes.communes)} communes loaded, skipped")
        return
    coverage = pd.DataFrame({"code": shapes.communes["code"], "status": None,
                             "component_count": 0, "covered": False})  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        t1, saved = _timed(lambda: national_map(shapes, coverage, Path(tmp)))

        def plain():
            m = folium.Map(location=[16, 106], zoom_start=6)
            data = shapes.communes.assign(value=np.arange(len(shapes.communes)))
            folium.Choropleth(
                data, data=data, columns=["code", "value"], key_on="feature.properties.code"
            ).add_to(m)
            m.save(str(Path(tmp) / "plain.html"))
            return (Path(tmp) / "plain.html").stat().st_size

        t2, plain_bytes = _timed(plain)
    _report("national map (HTML only)", (t1, saved.html.html_bytes), (t2, plain_bytes),
            "plain folium choropleth")  # fmt: skip
    SECTION.line(f"- + {saved.detail_files} detail files, {saved.detail_bytes / 1e6:.1f} MB, "
                 "loaded per province when zoomed in")  # fmt: skip


if __name__ == "__main__":
    main()
