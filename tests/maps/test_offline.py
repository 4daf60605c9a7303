"""Offline assets, basemap setting and escaping, without a browser (fast)."""

from __future__ import annotations

import unicodedata

import folium
import pytest
from folium import plugins

from gis.errors import ConfigurationError
from gis.settings import Settings
from maps.assets import ASSETS, NOT_NEEDED, asset_for
from maps.controls import FontAwesome, LegendItem, fa_div_icon, legend_html
from maps.offline import OfflineMap, basemap_layers, external_references, render_html, save_map
from maps.text import esc, fold


def test_every_asset_folium_declares_by_default_is_known():
    # A folium upgrade that changes a URL fails here instead of silently reaching a CDN.
    for _name, url in [*folium.Map.default_js, *folium.Map.default_css]:
        assert url in ASSETS or url in NOT_NEEDED, url
    for element in (plugins.MarkerCluster, plugins.HeatMap):
        for _name, url in [*element.default_js, *element.default_css]:
            assert url in ASSETS, url


def test_an_offline_map_references_no_other_host():
    m = OfflineMap(location=[20.25, 105.97], zoom_start=9)
    FontAwesome().add_to(m)
    plugins.MarkerCluster().add_to(m)
    html = render_html(m)
    assert external_references(html) == []
    assert "Leaflet 1.9.3, a JS library" in html  # Leaflet itself, inline
    assert "data:font/woff2;base64," in html  # Font Awesome solid, inline
    assert ".ttf" not in html and "bootstrap" not in html.lower()
    assert len(html) < 600_000


def test_the_checker_sees_what_a_default_folium_map_loads():
    html = folium.Map(location=[20.25, 105.97]).get_root().render()
    hosts = {url.split("/")[2] for url in external_references(html)}
    assert {"cdn.jsdelivr.net", "code.jquery.com", "cdnjs.cloudflare.com"} <= hosts


def test_a_plugin_without_a_packaged_asset_is_refused_by_name():
    m = OfflineMap(location=[20.25, 105.97])
    plugins.Fullscreen().add_to(m)  # no installed package ships leaflet.fullscreen: refused
    with pytest.raises(ConfigurationError, match=r"leaflet\.fullscreen") as err:
        render_html(m)
    assert "maps/assets.py" in err.value.hint


def test_awesome_markers_icons_are_refused_with_the_alternative():
    m = OfflineMap(location=[20.25, 105.97])
    folium.Marker([20.25, 105.97], icon=folium.Icon(icon="home")).add_to(m)
    with pytest.raises(ConfigurationError, match="awesome-markers") as err:
        render_html(m)
    assert "fa_div_icon" in err.value.hint or "div_icon" in err.value.hint


def test_keep_in_front_brings_the_packaged_jquery():
    m = OfflineMap(location=[20.25, 105.97])
    layer = folium.FeatureGroup("a").add_to(m)
    m.keep_in_front(layer)
    html = render_html(m)
    assert "jQuery v3.7.1" in html and external_references(html) == []
    assert all("jquery" not in url for _n, url in OfflineMap.default_js)  # not leaked


def test_folder_mode_writes_the_assets_beside_the_map(tmp_path):
    m = OfflineMap(location=[20.25, 105.97], assets="folder")
    saved = save_map(m, tmp_path / "m.html")
    names = sorted(p.name for p in saved.asset_files)
    assert names == ["leaflet-1.9.3.css", "leaflet-1.9.3.js"]
    html = saved.path.read_text()
    assert 'src="tuquan-assets/leaflet-1.9.3.js"' in html and external_references(html) == []
    css = (tmp_path / "tuquan-assets" / "leaflet-1.9.3.css").read_text()
    assert "url(images/" not in css and "data:image/png;base64," in css


@pytest.mark.parametrize("setting", ["offline", "none", "OFFLINE", ""])
def test_offline_basemap_has_no_tiles(setting):
    assert basemap_layers(setting).is_offline


def test_osm_and_tile_templates():
    (osm,) = basemap_layers("osm").layers
    assert "tile.openstreetmap.org" in osm.tiles and "OpenStreetMap" in osm.options["attribution"]
    (local,) = basemap_layers("http://127.0.0.1:8080/{z}/{x}/{y}.png", "Sở TN&MT").layers
    assert local.tiles.startswith("http://127.0.0.1:8080/") and local.options["attribution"]


@pytest.mark.parametrize(
    "bad", ["tiles.example.org", "http://t/{z}/{x}.png", "ftp://t/{z}/{x}/{y}"]
)
def test_a_bad_basemap_setting_says_what_to_write(bad):
    with pytest.raises(ConfigurationError, match="TUQUAN_BASEMAP") as err:
        basemap_layers(bad)
    assert "{z}" in err.value.hint


def test_basemap_is_a_setting(monkeypatch):
    monkeypatch.setenv("TUQUAN_BASEMAP", "osm")
    assert Settings().basemap == "osm"
    monkeypatch.delenv("TUQUAN_BASEMAP")
    assert Settings().basemap == "offline"


def test_esc_escapes_and_normalises():
    decomposed = unicodedata.normalize("NFD", "Ninh Hải")
    assert str(esc(decomposed)) == "Ninh Hải" and esc(decomposed) != decomposed
    assert str(esc('<script>alert("x")</script>&')) == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"
    )
    assert str(esc(None)) == ""


def test_legend_escapes_labels_and_refuses_css_injection():
    html = legend_html("<b>", "en", [LegendItem("<i>x</i>", "y", fill="#fff")])
    assert "<b>" not in html and "&lt;i&gt;x&lt;/i&gt;" in html
    with pytest.raises(ValueError):
        legend_html("t", "t", [LegendItem("a", "b", fill="red;background:url(http://x)")])
    with pytest.raises(ValueError):
        fa_div_icon("house", "red}body{display:none")


def test_fold_matches_what_people_type():
    assert fold("Đông Hoa Lư") == "dong hoa lu"
    assert fold("  NINH   HẢI ") == "ninh hai"
    assert fold(unicodedata.normalize("NFD", "Yên Mô")) == "yen mo"


def test_asset_registry_reads_installed_packages():
    leaflet = asset_for("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
    assert leaflet is not None and "L.Icon.Default.mergeOptions" in leaflet.text
    assert (
        asset_for("https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css") is None
    )
