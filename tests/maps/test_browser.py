"""The maps in headless Chromium with the network cut off: they render fully and safely."""

from __future__ import annotations

import base64
import dataclasses
import http.server
import threading
from pathlib import Path

import folium
import pytest

from maps.base import MapOptions, province_base_map
from maps.legacy_names import former_names
from maps.province import ProvinceBase, load_province

THE_MAP = "Object.values(window).find(v => v instanceof L.Map)"
EVIL = '<img src=x onerror="window.pwned=1">Ninh <script>window.pwned=2</script>'
# A 1×1 PNG: what the stub tile server answers to every tile request.
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def nb_base(nb_engine) -> ProvinceBase:
    return load_province(nb_engine, "37")


@pytest.fixture(scope="module")
def base_map(nb_base, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("maps") / "base-map.html"
    return province_base_map(nb_base).save(out).path


def _build(base: ProvinceBase, folder: Path, **options) -> Path:
    return province_base_map(base, MapOptions(**options)).save(folder / "map.html").path


def _assert_clean(visit) -> None:
    assert visit.blocked == [], f"requests to other hosts: {visit.blocked[:5]}"
    assert visit.console_errors == [], visit.console_errors
    assert visit.page_errors == [], visit.page_errors


def test_base_map_renders_with_the_network_cut_off(open_map, base_map):
    visit = open_map(base_map)
    _assert_clean(visit)
    assert visit.local_files == []  # inline: one self-contained file
    page = visit.page
    assert page.evaluate("L.version") == "1.9.3"
    assert page.locator("path.tq-commune").count() == 129
    assert page.locator("path.tq-outline").count() >= 1
    legend = page.locator(".tq-legend")
    assert legend.is_visible()
    assert "Chú giải" in legend.inner_text() and "province boundary" in legend.inner_text()
    title = page.locator(".tq-title").inner_text()
    assert "Tỉnh Ninh Bình" in title and "Dữ liệu đến" in title
    assert "sapnhap.bando.com.vn" in page.locator(".leaflet-control-attribution").inner_text()
    assert page.locator(".tq-fullscreen a").is_visible()
    assert page.locator(".leaflet-control-layers").is_visible()
    assert page.locator(".tq-synthetic").count() == 0  # real boundaries only
    assert page.locator("img.leaflet-tile").count() == 0  # offline basemap: no tiles
    visit.screenshot("base-map-ninh-binh")


def test_search_finds_communes_with_or_without_diacritics(open_map, base_map, nb_base):
    visit = open_map(base_map)
    page = visit.page
    search = page.locator(".tq-search-input")
    zoom_before = page.evaluate(f"{THE_MAP}.getZoom()")

    search.fill("Ninh Hai")  # a pre-2025 commune, typed without diacritics
    hits = page.locator(".tq-search-results li.tq-search-hit")
    assert "Ninh Hải" in hits.first.inner_text()
    hits.first.click()
    expected = [
        code
        for code, olds in former_names("37").items()
        if ("Ninh Hải", "Thành phố Hoa Lư") in olds
    ]
    assert page.get_attribute(".tq-search", "data-selected") == expected[0]
    page.wait_for_function(f"{THE_MAP}.getZoom() > {zoom_before}", timeout=5000)  # animated
    page.wait_for_function(f"!{THE_MAP}._animatingZoom")
    current = nb_base.communes.set_index("code").loc[expected[0], "name"]
    assert current in search.input_value()
    visit.screenshot("base-map-search-ninh-hai")

    for typed, found in (("yen mo", "Yên Mô"), ("xã đong a", "Đông A"), ("PHU LY", "Phủ Lý")):
        search.fill(typed)
        assert (
            page.locator(".tq-search-results li.tq-search-hit").first.locator("b").inner_text()
            == found
        )
    search.fill("qqqq")
    assert "Không tìm thấy" in page.locator(".tq-search-results").inner_text()


def test_synthetic_data_label_shows_when_flagged(open_map, nb_base, tmp_path):
    visit = open_map(_build(nb_base, tmp_path, synthetic=True))
    _assert_clean(visit)
    label = visit.page.locator(".tq-synthetic")
    assert label.is_visible() and "Dữ liệu mô phỏng" in label.inner_text()


def test_names_are_shown_as_text_never_run(open_map, nb_base, tmp_path):
    communes = nb_base.communes.copy()
    communes.loc[0, ["name", "full_name"]] = [EVIL, EVIL]
    poisoned = dataclasses.replace(nb_base, communes=communes, full_name=EVIL)
    visit = open_map(_build(poisoned, tmp_path))
    _assert_clean(visit)
    page = visit.page
    assert page.evaluate("window.pwned") is None
    assert page.locator("img[src='x']").count() == 0
    assert EVIL in page.locator(".tq-title").inner_text()  # the text itself, visible
    page.locator(".tq-search-input").fill("pwned")
    assert EVIL in page.locator(".tq-search-results").inner_text()
    first = page.locator("path.tq-commune").first  # features keep the frame's order
    first.hover(force=True)
    assert EVIL in page.locator(".leaflet-tooltip").inner_text()
    assert page.evaluate("window.pwned") is None


@pytest.fixture
def tile_server():
    requested = []

    class Tiles(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requested.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PNG_1PX)))
            self.end_headers()
            self.wfile.write(PNG_1PX)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requested
    server.shutdown()


def test_local_tile_server_basemap(open_map, nb_base, tmp_path, tile_server):
    url, requested = tile_server
    visit = open_map(
        _build(nb_base, tmp_path, basemap=url + "/{z}/{x}/{y}.png"), allow_hosts=("127.0.0.1",)
    )
    visit.page.wait_for_function("document.querySelectorAll('img.leaflet-tile-loaded').length > 0")
    _assert_clean(visit)
    assert requested and all(path.endswith(".png") for path in requested)
    assert all(u.startswith(url) for u in visit.allowed)


def test_online_basemap_requests_are_caught(open_map, nb_base, tmp_path):
    # The harness must see a map that reaches out: the osm basemap asks tile.openstreetmap.org.
    visit = open_map(_build(nb_base, tmp_path, basemap="osm"))
    assert any("tile.openstreetmap.org" in url for url in visit.blocked)
    assert visit.page.locator("path.tq-commune").count() == 129  # boundaries still carry it


def test_a_default_folium_map_fails_offline(open_map, tmp_path):
    # What this framework exists for: folium's own output needs four CDN hosts.
    path = tmp_path / "folium.html"
    folium.Map(location=[20.25, 105.97], tiles=None).save(str(path))
    visit = open_map(path)
    hosts = {url.split("/")[2] for url in visit.blocked}
    assert {"cdn.jsdelivr.net", "code.jquery.com", "cdnjs.cloudflare.com"} <= hosts
    assert any("L is not defined" in error for error in visit.page_errors)


def test_folder_assets_load_from_beside_the_map(open_map, nb_base, tmp_path):
    path = _build(nb_base, tmp_path, assets="folder")
    visit = open_map(path)
    _assert_clean(visit)
    assert visit.local_files and all(
        url.startswith((tmp_path / "tuquan-assets").as_uri()) for url in visit.local_files
    )
    assert visit.page.locator("path.tq-commune").count() == 129


def test_plugins_the_thematic_maps_need_work_offline(open_map, tmp_path):
    # Marker clusters, a heat map and Font Awesome icons, all from installed packages.
    from folium import plugins

    from maps.controls import FontAwesome, fa_div_icon
    from maps.offline import OfflineMap, save_map

    m = OfflineMap(location=[20.25, 105.97], zoom_start=11)
    FontAwesome().add_to(m)
    cluster = plugins.MarkerCluster(name="sites").add_to(m)
    for i in range(30):
        folium.Marker([20.25 + i * 1e-4, 105.97], icon=fa_div_icon("house", "#2166ac")).add_to(
            cluster
        )
    folium.Marker([20.30, 105.90], icon=fa_div_icon("place-of-worship", "#762a83")).add_to(m)
    plugins.HeatMap([[20.25, 105.97, 1.0], [20.26, 105.98, 0.5]], name="heat").add_to(m)
    path = save_map(m, tmp_path / "plugins.html").path
    visit = open_map(path)
    _assert_clean(visit)
    page = visit.page
    assert page.locator(".marker-cluster").count() >= 1
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 1
    page.wait_for_function("document.fonts.check('900 16px \"Font Awesome 6 Free\"')")
    width = page.evaluate(
        "getComputedStyle(document.querySelector('.fa-place-of-worship'), '::before').content"
    )
    assert width not in ("none", "normal", "")  # the glyph is defined by the inlined CSS
