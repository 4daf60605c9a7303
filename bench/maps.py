"""Map weight and time to render: the province and national maps beside plain folium.

Province: the base map of Ninh Bình (loaded in the configured database, `make demo`) vs a
plain folium choropleth of the same communes. National: the national map (3,321 communes
simplified to 1 km, detail per province on zoom) of the bench database
``tuquan_bench_analysis`` vs the same communes as one plain folium GeoJson layer (with our
inlined assets: the only way plain folium renders with no network). HTML size, build
time and time to render in headless Chromium (Debian's chromium: load → communes drawn).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np

from bench._report import Section, Stats, repeat, stats
from maps.base import province_base_map
from maps.offline import OfflineMap, SavedMap, save_map
from maps.province import load_province
from tuquan import context

PROVINCE = "37"
RUNS = 3


def _ours(engine, out: Path):
    return province_base_map(load_province(engine, PROVINCE)).save(out)


def _full_resolution(engine) -> gpd.GeoDataFrame:
    return gpd.read_postgis(
        "SELECT code, name, geom FROM admin_unit WHERE parent_code = %(p)s ORDER BY code",
        engine,
        geom_col="geom",
        params={"p": PROVINCE},
    )


def _plain_choropleth(engine, out: Path) -> int:
    communes = _full_resolution(engine).assign(value=lambda d: np.arange(len(d)))
    m = folium.Map(location=[20.25, 105.97], zoom_start=9)
    folium.Choropleth(
        communes, data=communes, columns=["code", "value"], key_on="feature.properties.code"
    ).add_to(m)
    m.save(str(out))
    return out.stat().st_size


def _full_resolution_offline(engine, out: Path):
    # The peer's geometry with our inlined assets: the only way it renders with no network.
    m = OfflineMap(location=[20.25, 105.97], zoom_start=9)
    folium.GeoJson(_full_resolution(engine), class_name="tq-commune").add_to(m)
    return save_map(m, out)


def _render_seconds(paths: list[Path]) -> list[Stats]:
    """Time from navigation to the first commune drawn, per page, RUNS times each (a new
    browser context every time: nothing cached)."""
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for path in paths:
            times = []
            for _ in range(RUNS):
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                page.route(
                    "**/*",
                    lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort(),
                )
                started = time.perf_counter()
                page.goto(path.as_uri(), wait_until="load", timeout=120_000)
                page.wait_for_function(
                    "document.querySelectorAll('path.tq-commune').length > 0", timeout=120_000
                )
                times.append(time.perf_counter() - started)
                page.context.close()
            results.append(stats(times))
        browser.close()
    return results


def _national(section: Section, folder: Path) -> None:
    from bench._analysis_data import bench_engine
    from gis.unit_shapes import national_shapes
    from maps.national import build_national_map

    engine = bench_engine()
    out = folder / "national"
    ours_s, saved = repeat(lambda: build_national_map(engine, out), RUNS)

    def plain() -> SavedMap:
        communes = national_shapes(engine).communes[["code", "name", "geometry"]]
        m = OfflineMap(location=[16.0, 106.0], zoom_start=6)
        folium.GeoJson(communes, class_name="tq-commune").add_to(m)
        return save_map(m, folder / "national-plain.html")

    plain_s, plain_saved = repeat(plain, RUNS)
    engine.dispose()
    ours_render, plain_render = _render_seconds([saved.html.path, plain_saved.path])
    section.line(f"National map, {saved.communes:,} communes:")
    section.line(
        f"- HTML: tuquan {saved.html.html_bytes / 1e6:.2f} MB (+ {saved.detail_files} detail "
        f"files, {saved.detail_bytes / 1e6:.1f} MB, loaded per province when zoomed in), plain "
        f"folium GeoJson {plain_saved.html_bytes / 1e6:.2f} MB (size ratio "
        f"{saved.html.html_bytes / plain_saved.html_bytes:.2f})"
    )
    section.figure("build, tuquan (read, simplify, coverage, write)", ours_s)
    section.figure("build, plain folium GeoJson", plain_s)
    section.figure("render in Chromium, tuquan", ours_render)
    section.figure("render in Chromium, plain folium GeoJson", plain_render)
    section.ratio("render time plain / tuquan", ours_render, plain_render)


def main() -> None:
    section = Section("maps", "Map weight and time to render")
    engine = context.raw_engine()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ours_s, saved = repeat(lambda: _ours(engine, folder / "ours.html"), RUNS)
        plain_s, plain_bytes = repeat(
            lambda: _plain_choropleth(engine, folder / "plain.html"), RUNS
        )
        full = _full_resolution_offline(engine, folder / "full.html")
        ours_render, full_render = _render_seconds([saved.path, full.path])
        section.line("Province map (Ninh Bình, 129 communes):")
        section.line(
            f"- HTML: tuquan base map {saved.html_bytes / 1e6:.2f} MB, plain folium choropleth "
            f"{plain_bytes / 1e6:.2f} MB (size ratio {saved.html_bytes / plain_bytes:.2f}), "
            f"full-resolution offline {full.html_bytes / 1e6:.2f} MB"
        )
        section.figure("build, tuquan (load from PostGIS + map + write)", ours_s)
        section.figure("build, plain folium choropleth", plain_s)
        section.ratio("build time plain / tuquan", ours_s, plain_s)
        section.figure("render in Chromium, tuquan", ours_render)
        section.figure("render in Chromium, full-resolution offline", full_render)
        section.ratio("render time full-resolution / tuquan", ours_render, full_render)
        section.line(
            "- the plain choropleth renders nothing offline (its Leaflet is on a CDN): its "
            "render time is not measurable here"
        )
        section.line()
        _national(section, folder)
    section.save()


if __name__ == "__main__":
    main()
