"""Province base map vs a plain folium choropleth of the same communes (same run).

Needs Ninh Bình loaded in the configured database (`make demo`) and Debian's chromium.
Prints HTML size, build time and render time in headless Chromium, with ratios.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np

from maps.base import province_base_map
from maps.offline import OfflineMap, save_map
from maps.province import load_province
from tuquan import context

PROVINCE = "37"
RUNS = 3


def _median_time(fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(RUNS):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


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


def _render_seconds(paths: list[Path]) -> list[float]:
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
                page.goto(path.as_uri(), wait_until="load")
                page.wait_for_function("document.querySelectorAll('path.tq-commune').length > 0")
                times.append(time.perf_counter() - started)
                page.context.close()
            results.append(statistics.median(times))
        browser.close()
    return results


def main() -> None:
    engine = context.raw_engine()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ours_s, saved = _median_time(lambda: _ours(engine, folder / "ours.html"))
        plain_s, plain_bytes = _median_time(
            lambda: _plain_choropleth(engine, folder / "plain.html")
        )
        full = _full_resolution_offline(engine, folder / "full.html")
        ours_render, full_render = _render_seconds([saved.path, full.path])
    print(
        f"HTML size: tuquan base map {saved.html_bytes / 1e6:.2f} MB, "
        f"plain folium choropleth {plain_bytes / 1e6:.2f} MB "
        f"(ratio {saved.html_bytes / plain_bytes:.2f})"
    )
    print(
        f"build (load from PostGIS + map + write), median of {RUNS}: tuquan {ours_s:.2f} s, "
        f"plain choropleth {plain_s:.2f} s (ratio {ours_s / plain_s:.2f})"
    )
    print(
        f"render in headless Chromium (load → communes drawn), median of {RUNS}: "
        f"tuquan {ours_render:.2f} s, full-resolution offline {full_render:.2f} s "
        f"(ratio {ours_render / full_render:.2f}); the plain choropleth renders nothing "
        "offline (its Leaflet is on a CDN)"
    )


if __name__ == "__main__":
    main()
