"""folium maps that load nothing from another host: assets inlined, basemap a setting.

``OfflineMap`` is a folium.Map whose HTML carries Leaflet and every plugin file it uses
(from installed packages, see maps/assets.py), either inline (one self-contained file, the
default) or in a folder beside the map. The basemap is ``offline`` (no tiles: the boundaries
carry the map), ``osm``, or a tile URL template such as a local tile server.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink

from gis.errors import ConfigurationError
from maps.assets import JQUERY_URL, LEAFLET_CSS_URL, LEAFLET_JS_URL, Asset, asset_for

AssetMode = Literal["inline", "folder"]
ASSET_FOLDER = "tuquan-assets"
MAX_ZOOM = 18
OFFLINE_BASEMAPS = ("offline", "none")
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'


@contextlib.contextmanager
def _compact_json():
    # folium embeds GeoJSON with jinja's tojson, which writes ", " and ": ": 10-15 % of a
    # commune layer's bytes. Its templates share one jinja environment; the policy is
    # changed only while a tuquan map renders.
    policies = folium.Map._template.environment.policies
    saved = policies["json.dumps_kwargs"]
    policies["json.dumps_kwargs"] = {**saved, "separators": (",", ":")}
    try:
        yield
    finally:
        policies["json.dumps_kwargs"] = saved


class OfflineFigure(Figure):
    """A branca Figure that swaps every CDN link in its header for a packaged file."""

    def __init__(self, assets: AssetMode = "inline", **kwargs) -> None:
        super().__init__(**kwargs)
        self.asset_mode: AssetMode = assets
        self.asset_files: dict[str, str] = {}  # file name → text, for folder mode

    def render(self, **kwargs) -> str:
        """Render children (which declare their links), then replace the links."""
        with _compact_json():
            for child in self._children.values():
                child.render(**kwargs)
        self._replace_links()
        return self._template.render(this=self, kwargs=kwargs)

    def _replace_links(self) -> None:
        replaced = {}
        for name, child in self.header._children.items():
            if not isinstance(child, JavascriptLink | CssLink):
                replaced[name] = child
                continue
            asset = asset_for(child.url, element=name)
            if asset is not None:
                replaced[name] = self._asset_element(asset)
        self.header._children.clear()
        self.header._children.update(replaced)

    def _asset_element(self, asset: Asset) -> Element:
        if self.asset_mode == "folder":
            self.asset_files[asset.file_name] = asset.text
            ref = f"{ASSET_FOLDER}/{asset.file_name}"
            if asset.kind == "js":
                return Element(f'<script src="{ref}"></script>')
            return Element(f'<link rel="stylesheet" href="{ref}"/>')
        if asset.kind == "js":
            # "</script" inside a string literal would end the inline block early.
            code = asset.text.replace("</script", "<\\/script")
            return Element(f"<script>{code}</script>")
        return Element(f"<style>{asset.text}</style>")


class OfflineMap(folium.Map):
    """folium.Map that needs only Leaflet (no Bootstrap, jQuery or awesome-markers)."""

    default_js = (("leaflet", LEAFLET_JS_URL),)
    default_css = (("leaflet_css", LEAFLET_CSS_URL),)

    def __init__(
        self,
        *,
        basemap: str = "offline",
        basemap_attribution: str | None = None,
        assets: AssetMode = "inline",
        page_title: str | None = None,
        **kwargs,
    ):
        kwargs.setdefault("control_scale", True)
        super().__init__(tiles=None, **kwargs)
        OfflineFigure(assets=assets, title=page_title).add_child(self)
        # Without tiles Leaflet has no maxZoom, which marker clusters (and zoom limits) need.
        self.options.setdefault("maxZoom", MAX_ZOOM)
        # Per instance lists: folium's add_js_link appends in place.
        self.default_js = list(self.default_js)
        self.default_css = list(self.default_css)
        self.basemap = basemap_layers(basemap, basemap_attribution)
        for layer in self.basemap.layers:
            layer.add_to(self)

    def keep_in_front(self, *args) -> None:
        """As folium's, which waits for the page with jQuery: bring the packaged jQuery."""
        self.add_js_link("jquery", JQUERY_URL)
        super().keep_in_front(*args)

    def render(self, **kwargs) -> None:
        """Refuse awesome-markers icons, whose library no package provides offline."""
        for element in _walk(self):
            if type(element) is folium.Icon:
                raise ConfigurationError(
                    "folium.Icon needs Leaflet.awesome-markers, which is not available offline",
                    "use maps.controls.div_icon (Font Awesome inlined) for markers",
                )
        super().render(**kwargs)


def _walk(element: Element):
    for child in element._children.values():
        yield child
        yield from _walk(child)


@dataclass
class Basemap:
    """The tile layers a basemap setting gives (none offline)."""

    setting: str
    layers: list[folium.TileLayer] = field(default_factory=list)

    @property
    def is_offline(self) -> bool:
        return not self.layers


_TEMPLATE_KEYS = re.compile(r"\{[zxy]\}")


def basemap_layers(setting: str, attribution: str | None = None) -> Basemap:
    """TUQUAN_BASEMAP → tile layers: offline|none (no tiles), osm, or a {z}/{x}/{y} template."""
    value = (setting or "offline").strip()
    if value.lower() in OFFLINE_BASEMAPS:
        return Basemap(value.lower())
    if value.lower() == "osm":
        url, attr, name = OSM_TILES, attribution or OSM_ATTRIBUTION, "OpenStreetMap"
    elif value.startswith(("http://", "https://", "file://")) and (
        len(set(_TEMPLATE_KEYS.findall(value))) == 3
    ):
        url, name = value, "Bản đồ nền / basemap"
        attr = attribution or "Bản đồ nền cục bộ / local basemap"
    else:
        raise ConfigurationError(
            f"TUQUAN_BASEMAP={value!r} is not a basemap tuquan understands",
            "use offline (no tiles), osm, or a tile URL template with {z}, {x} and {y}, "
            "e.g. http://127.0.0.1:8080/{z}/{x}/{y}.png",
        )
    layer = folium.TileLayer(tiles=url, attr=attr, name=name, max_zoom=19, overlay=False)
    return Basemap(value, [layer])


@dataclass(frozen=True)
class SavedMap:
    """Where a map was written and how large it is."""

    path: Path
    html_bytes: int
    asset_files: tuple[Path, ...] = ()


def save_map(m: OfflineMap, path: Path) -> SavedMap:
    """Write the map's HTML (and, in folder mode, its asset files beside it)."""
    figure = m.get_root()
    if not isinstance(figure, OfflineFigure):
        raise ConfigurationError(
            "this map is not an OfflineMap", "build maps with maps.offline.OfflineMap"
        )
    html = figure.render()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = html.encode("utf-8")
    path.write_bytes(data)
    written = []
    if figure.asset_files:
        folder = path.parent / ASSET_FOLDER
        folder.mkdir(exist_ok=True)
        for name, text in sorted(figure.asset_files.items()):
            (folder / name).write_text(text, encoding="utf-8")
            written.append(folder / name)
    return SavedMap(path, len(data), tuple(written))


def render_html(m: OfflineMap) -> str:
    """The map's complete HTML (inline assets: self-contained)."""
    return m.get_root().render()


_EXTERNAL_REF = re.compile(
    r"""(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)["']|url\(\s*["']?((?:https?:)?//[^"')]+)""",
    re.IGNORECASE,
)


def external_references(html: str) -> list[str]:
    """URLs on another host that the page would load by itself (src, stylesheet, CSS url)."""
    found = []
    for tag in re.finditer(r"<(script|link|img|iframe)\b[^>]*>", html, re.IGNORECASE):
        if tag.group(1).lower() == "link" and "stylesheet" not in tag.group(0).lower():
            continue
        found += [m.group(1) for m in _EXTERNAL_REF.finditer(tag.group(0)) if m.group(1)]
    for style in re.finditer(r"<style[^>]*>(.*?)</style>", html, re.IGNORECASE | re.DOTALL):
        found += [m.group(2) for m in _EXTERNAL_REF.finditer(style.group(1)) if m.group(2)]
    return found
