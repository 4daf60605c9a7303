"""Where every JS/CSS file a map needs comes from: installed packages, never a CDN.

folium names its assets by CDN URL. Each URL a tuquan map may meet is mapped here to a file
of an installed package (xstatic-*, folium itself, or maps/static for tuquan's own controls),
or declared not needed. An unknown URL is an error at build time, so a folium upgrade or a
new plugin cannot silently bring a CDN back.
"""

from __future__ import annotations

import base64
import functools
import importlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from gis.errors import ConfigurationError


@dataclass(frozen=True)
class Asset:
    """One JS or CSS file (or several concatenated) read from an installed package."""

    file_name: str  # name when the assets are written to a folder beside the map
    kind: str  # "js" | "css"
    package: str  # importable module whose folder holds the files
    paths: tuple[str, ...]  # relative to that folder, concatenated in order
    version: str | None = None  # expected package VERSION (xstatic), checked on load
    append: str = ""  # code added after the files (e.g. fixes for inlined use)

    @functools.cached_property
    def text(self) -> str:
        """The file contents, CSS url(...) references inlined as data: URLs."""
        module = importlib.import_module(self.package)
        if self.version and getattr(module, "VERSION", None) != self.version:
            raise ConfigurationError(
                f"{self.package} is version {getattr(module, 'VERSION', '?')}, "
                f"the maps expect {self.version}",
                "reinstall the project: pip install -e . (pyproject pins the asset packages)",
            )
        base = Path(getattr(module, "BASE_DIR", Path(module.__file__).parent))
        parts = []
        for rel in self.paths:
            path = base / rel
            content = path.read_text(encoding="utf-8")
            parts.append(_inline_css_urls(content, path.parent) if self.kind == "css" else content)
        if self.append:
            parts.append(self.append)
        return "\n".join(parts)


_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")
# Fonts: woff2 is read by every browser since 2016; the TrueType fallbacks would only add weight.
_TTF_FALLBACK = re.compile(r",\s*url\([^)]*\.ttf\)\s*format\(\"truetype\"\)")


def _inline_css_urls(css: str, folder: Path) -> str:
    """Replace relative url(...) references by data: URLs of the files they name."""
    css = _TTF_FALLBACK.sub("", css)

    def data_url(match: re.Match) -> str:
        ref = match.group(2)
        if ref.startswith(("data:", "#", "http:", "https:", "//")):
            return match.group(0)
        path = (folder / ref.split("?")[0].split("#")[0]).resolve()
        mime = mimetypes.guess_type(path.name)[0] or (
            "font/woff2" if path.suffix == ".woff2" else "application/octet-stream"
        )
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'url("data:{mime};base64,{encoded}")'

    return _CSS_URL.sub(data_url, css)


def _png_data_url(package: str, rel: str) -> str:
    module = importlib.import_module(package)
    data = (Path(module.BASE_DIR) / rel).read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


@functools.cache
def _leaflet_icon_fix() -> str:
    # Leaflet finds its default marker images through a CSS url() it parses back; once the
    # CSS is inlined that detection fails, so the images are given to it directly.
    leaflet = "xstatic.pkg.leaflet"
    icon = _png_data_url(leaflet, "images/marker-icon.png")
    icon2x = _png_data_url(leaflet, "images/marker-icon-2x.png")
    shadow = _png_data_url(leaflet, "images/marker-shadow.png")
    return (
        "L.Icon.Default.imagePath = '';\n"
        f"L.Icon.Default.mergeOptions({{iconUrl: '{icon}', iconRetinaUrl: '{icon2x}', "
        f"shadowUrl: '{shadow}'}});"
    )


FOLIUM_CDN = "https://cdn.jsdelivr.net/gh/python-visualization/folium"
LEAFLET_JS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"
JQUERY_URL = "https://code.jquery.com/jquery-3.7.1.min.js"
FONT_AWESOME_URL = (
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css"
)
TUQUAN_JS_URL = "tuquan:tuquan-map.js"
TUQUAN_CSS_URL = "tuquan:tuquan-map.css"
TUQUAN_THEMATIC_JS_URL = "tuquan:tuquan-thematic.js"
TUQUAN_THEMATIC_CSS_URL = "tuquan:tuquan-thematic.css"
TUQUAN_NATIONAL_JS_URL = "tuquan:tuquan-national.js"

_jquery = Asset("jquery-3.7.1.min.js", "js", "xstatic.pkg.jquery", ("jquery.min.js",), "3.7.1")
_markercluster = "xstatic.pkg.leaflet_markercluster"
_MARKERCLUSTER_CDN = "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0"

# URL as folium (or a tuquan control) declares it → the installed file that replaces it.
ASSETS: dict[str, Asset] = {
    LEAFLET_JS_URL: Asset(
        "leaflet-1.9.3.js", "js", "xstatic.pkg.leaflet", ("leaflet.js",), "1.9.3"
    ),
    LEAFLET_CSS_URL: Asset(
        "leaflet-1.9.3.css", "css", "xstatic.pkg.leaflet", ("leaflet.css",), "1.9.3"
    ),
    JQUERY_URL: _jquery,
    "https://cdnjs.cloudflare.com/ajax/libs/jquery/3.7.1/jquery.min.js": _jquery,
    # Only the solid style: the icons tuquan uses; brands and regular would add 130 kB.
    FONT_AWESOME_URL: Asset(
        "fontawesome-6-solid.css",
        "css",
        "xstatic.pkg.font_awesome",
        ("css/fontawesome.min.css", "css/solid.min.css"),
        "6.2.1",
    ),
    # folium pins markercluster 1.1.0; the packaged 1.4.1 keeps the same API.
    f"{_MARKERCLUSTER_CDN}/leaflet.markercluster.js": Asset(
        "leaflet.markercluster.js", "js", _markercluster, ("leaflet.markercluster.js",)
    ),
    f"{_MARKERCLUSTER_CDN}/MarkerCluster.css": Asset(
        "MarkerCluster.css", "css", _markercluster, ("MarkerCluster.css",)
    ),
    f"{_MARKERCLUSTER_CDN}/MarkerCluster.Default.css": Asset(
        "MarkerCluster.Default.css", "css", _markercluster, ("MarkerCluster.Default.css",)
    ),
    # folium ships these plugin files itself (HeatMap, HeatMapWithTime).
    f"{FOLIUM_CDN}@main/folium/templates/leaflet_heat.min.js": Asset(
        "leaflet_heat.min.js", "js", "folium", ("templates/leaflet_heat.min.js",)
    ),
    f"{FOLIUM_CDN}/folium/templates/pa7_hm.min.js": Asset(
        "pa7_hm.min.js", "js", "folium", ("templates/pa7_hm.min.js",)
    ),
    f"{FOLIUM_CDN}/folium/templates/pa7_leaflet_hm.min.js": Asset(
        "pa7_leaflet_hm.min.js", "js", "folium", ("templates/pa7_leaflet_hm.min.js",)
    ),
    # tuquan's own controls (title, legend, search, fullscreen), maps/static.
    TUQUAN_JS_URL: Asset("tuquan-map.js", "js", "maps", ("static/tuquan-map.js",)),
    TUQUAN_CSS_URL: Asset("tuquan-map.css", "css", "maps", ("static/tuquan-map.css",)),
    # the thematic layers (theme legend, site and numbered markers), maps/static.
    TUQUAN_THEMATIC_JS_URL: Asset(
        "tuquan-thematic.js", "js", "maps", ("static/tuquan-thematic.js",)
    ),
    TUQUAN_THEMATIC_CSS_URL: Asset(
        "tuquan-thematic.css", "css", "maps", ("static/tuquan-thematic.css",)
    ),
    TUQUAN_NATIONAL_JS_URL: Asset(
        "tuquan-national.js", "js", "maps", ("static/tuquan-national.js",)
    ),
}

# Declared by folium.Map for features tuquan maps do not use (Bootstrap popups/modals,
# awesome-markers icons: tuquan draws its markers with L.divIcon + Font Awesome instead).
NOT_NEEDED: frozenset[str] = frozenset(
    {
        "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
        "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css",
        "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
        "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js",
        "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css",
        f"{FOLIUM_CDN}/folium/templates/leaflet.awesome.rotate.min.css",
    }
)


def asset_for(url: str, element: str = "map") -> Asset | None:
    """The installed file that replaces ``url`` (None: not needed); unknown URLs are refused."""
    if url in NOT_NEEDED:
        return None
    asset = ASSETS.get(url)
    if asset is None:
        raise ConfigurationError(
            f"{element} needs {url}, which no installed package provides offline",
            "use another folium feature, or map the URL to a packaged file in maps/assets.py",
        )
    if url == LEAFLET_JS_URL and not asset.append:
        asset = _with_icon_fix(asset)
    return asset


@functools.cache
def _with_icon_fix(asset: Asset) -> Asset:
    return Asset(
        asset.file_name, asset.kind, asset.package, asset.paths, asset.version, _leaflet_icon_fix()
    )
