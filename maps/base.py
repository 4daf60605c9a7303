"""The province base map every tuquan map is built on.

Communes (simplified coverage) with tooltips and search, the province outline, a title
block, boundary attribution, fullscreen, a layer control, and the synthetic-data label when
demo data is shown. Under 800 px wide (a dashboard frame) the controls fold (CompactMode).
Thematic maps restyle the communes and add their own layers and legend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import folium
import pandas as pd
from folium.template import Template
from folium.utilities import JsCode
from markupsafe import Markup

from maps.controls import (
    Attribution,
    CommuneSearch,
    CompactMode,
    Fullscreen,
    LegendItem,
    TuquanElement,
    legend,
    synthetic_data_label,
    title_box,
)
from maps.legacy_names import former_names
from maps.offline import AssetMode, OfflineMap, SavedMap, save_map
from maps.province import ProvinceBase
from maps.text import esc, fold

COMMUNE_CLASS = "tq-commune"
COMMUNE_STYLE = {"color": "#5b6770", "weight": 0.8, "fillColor": "#f4f1e8", "fillOpacity": 0.75}
COMMUNE_HIGHLIGHT = {"weight": 2.5, "color": "#2166ac"}
OUTLINE_STYLE = {"color": "#1a1a1a", "weight": 2.5, "fill": False, "interactive": False}
BASE_LEGEND = (
    LegendItem("Ranh giới tỉnh", "province boundary", stroke="#1a1a1a", kind="line"),
    LegendItem(
        "Xã, phường, đặc khu", "commune, ward, special zone", fill="#f4f1e8", stroke="#5b6770"
    ),
)

StyleFunction = Callable[[dict], dict]


@dataclass(frozen=True)
class MapOptions:
    """How a map is rendered: basemap, where the assets go, demo-data flag, dates."""

    basemap: str = "offline"
    basemap_attribution: str | None = None
    assets: AssetMode = "inline"
    synthetic: bool = False  # demo data shown: the map says so, visibly
    made_on: date = field(default_factory=date.today)


class _MapFrame(TuquanElement):
    """Fits the map to the province at once and marks it for tuquan-map.css."""

    # folium's fit_bounds animates from the initial zoom; a search made during that
    # animation would be dropped by Leaflet, so the first view is set without one.
    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.fitBounds({{ this.bounds|tojson }}, {animate: false});
        L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        L.DomUtil.addClass({{ this._parent.get_name() }}.getContainer(), "tq-map");
        {% endmacro %}"""
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "MapFrame"
        self.bounds = bounds


def default_tooltips(communes: pd.DataFrame) -> pd.Series:
    """'<b>Xã Ninh Hải</b><br>mã / code 14359 · 23.4 km²', escaped, one per commune."""
    # str() of the escaped Markup: adding Markup to "<b>" would escape the tags themselves.
    names = communes["full_name"].map(lambda v: str(esc(v)))
    codes = communes["code"].map(lambda v: str(esc(v)))
    areas = communes["area_km2"].map("{:,.1f}".format)
    return "<b>" + names + "</b><br>mã / code " + codes + " · " + areas + " km²"


class ProvinceMap:
    """A province map under construction: add layers and a legend, then save."""

    # Thematic maps with tall legends put the layer list under the search (top left).
    layer_control_position = "topright"

    def __init__(
        self,
        base: ProvinceBase,
        title_vi: str,
        title_en: str,
        options: MapOptions | None = None,
        *,
        data_as_of: date | datetime | None = None,
        commune_style: StyleFunction | None = None,
        commune_properties: pd.DataFrame | None = None,
        commune_tooltips: pd.Series | None = None,
        title_lines: tuple[Markup, ...] = (),
    ) -> None:
        self.base = base
        self.options = options or MapOptions()
        minx, miny, maxx, maxy = base.outline.bounds
        self.map = OfflineMap(
            location=[(miny + maxy) / 2, (minx + maxx) / 2],
            zoom_start=9,
            basemap=self.options.basemap,
            basemap_attribution=self.options.basemap_attribution,
            assets=self.options.assets,
            page_title=f"{title_vi} — {base.name}",
            control_scale=False,  # a metric-only scale comes with the frame
        )
        self.bounds = [[miny, minx], [maxy, maxx]]
        _MapFrame(self.bounds).add_to(self.map)
        self.communes = self._commune_layer(commune_style, commune_properties, commune_tooltips)
        self.outline = folium.GeoJson(
            base.outline,
            name="Ranh giới tỉnh / province boundary",
            style_function=lambda _f: OUTLINE_STYLE,
            interactive=False,
            class_name="tq-outline",
        ).add_to(self.map)
        if self.options.synthetic:
            synthetic_data_label().add_to(self.map)
        title_box(
            title_vi,
            title_en,
            base.full_name,
            self.options.made_on,
            data_as_of or base.data_as_of,
            title_lines,
        ).add_to(self.map)
        Attribution(f"Ranh giới / boundaries: {base.attribution}").add_to(self.map)
        Fullscreen().add_to(self.map)
        CommuneSearch(self.communes, self._search_aliases()).add_to(self.map)
        self._legend_added = False
        self._saved = False

    def _commune_layer(self, style, properties, tooltips) -> folium.GeoJson:
        communes = self.base.communes
        frame = communes[["code", "name", "unit_type", "geometry"]].copy()
        frame["tip"] = default_tooltips(communes) if tooltips is None else tooltips.to_numpy()
        if properties is not None:
            frame = frame.merge(properties, left_on="code", right_index=True, how="left")
        return folium.GeoJson(
            frame.to_geo_dict(drop_id=False),
            name="Xã, phường / communes",
            style_function=style or (lambda _f: COMMUNE_STYLE),
            highlight_function=lambda _f: COMMUNE_HIGHLIGHT,
            on_each_feature=JsCode(
                "function (feature, layer) { if (feature.properties.tip) "
                "layer.bindTooltip(feature.properties.tip, {sticky: true, className: 'tq-tip'}); }"
            ),
            class_name=COMMUNE_CLASS,
        ).add_to(self.map)

    def _search_aliases(self) -> dict[str, list[tuple[str, str]]]:
        current = dict(zip(self.base.communes.code, self.base.communes.name.map(fold), strict=True))
        # An old commune that kept its name adds nothing to the search.
        return {
            code: [old for old in olds if fold(old[0]) != current.get(code)]
            for code, olds in former_names(self.base.code).items()
            if code in current
        }

    def add_legend(
        self,
        title_vi: str,
        title_en: str,
        items: tuple[LegendItem, ...] = (),
        note: str | None = None,
    ) -> None:
        """The map's legend; the base items (province boundary, communes) come last."""
        legend(title_vi, title_en, (*items, *BASE_LEGEND) if items else BASE_LEGEND, note).add_to(
            self.map
        )
        self._legend_added = True

    def add_legend_element(self, element: TuquanElement) -> None:
        """A legend built by the caller (e.g. one that switches with the colouring)."""
        element.add_to(self.map)
        self._legend_added = True

    def add(self, layer: folium.map.Layer) -> folium.map.Layer:
        """Add an overlay (it appears in the layer control)."""
        return layer.add_to(self.map)

    def save(self, path: Path) -> SavedMap:
        """Add the layer control (and the base legend if none) and write the HTML."""
        if not self._saved:
            if not self._legend_added:
                self.add_legend("Chú giải", "legend")
            control = folium.LayerControl(collapsed=False, position=self.layer_control_position)
            control.add_to(self.map)
            CompactMode(control, self.bounds).add_to(self.map)  # small maps fold their controls
            self._saved = True
        return save_map(self.map, path)


def province_base_map(base: ProvinceBase, options: MapOptions | None = None) -> ProvinceMap:
    """The plain base map: communes, outline, title, legend, search."""
    return ProvinceMap(base, "Bản đồ nền hành chính", "administrative base map", options)
