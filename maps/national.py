"""The national coverage map: all 3,321 communes light enough to open, detail on zooming in.

A plain folium choropleth of every commune is 56 MB. Here the country is drawn from a
coarse coverage simplification (COARSE_TOLERANCE_M, coordinates to ~10 m) in one HTML file;
each province's communes at the province maps' detail (5 m, ~1 m coordinates) are written
to national-detail/<code>.js beside it and loaded by the page (a <script>, which works
from a file as from a server) when the view is zoomed in on that province. Nothing comes
from another host; the vector tiles of the API would need a Leaflet plugin that no
installed package provides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.template import Template
from folium.utilities import JsCode
from markupsafe import Markup
from sqlalchemy.engine import Engine

from gis.coverage import coverage_result
from gis.map_records import has_synthetic_records
from gis.unit_shapes import NationalShapes, national_shapes
from gis.weights import METRIC_CRS
from maps.assets import TUQUAN_NATIONAL_JS_URL
from maps.base import COMMUNE_HIGHLIGHT, COMMUNE_STYLE, OUTLINE_STYLE, MapOptions
from maps.controls import (
    Attribution,
    CommuneSearch,
    Fullscreen,
    HtmlBox,
    TuquanElement,
    synthetic_data_label,
    title_box,
)
from maps.coverage import commune_classes, coverage_summary
from maps.layers import ThematicAssets, legend_box, legend_rows, section
from maps.offline import OfflineMap, SavedMap, save_map
from maps.province import COORD_DECIMALS, simplify_coverage
from maps.text import bilingual, day, esc
from maps.themes import STATUS_COLOURS, STATUS_LABELS, status_legend

COARSE_TOLERANCE_M = 1000.0
COARSE_DECIMALS = 3  # ~110 m: below the coarse tolerance, invisible at the national zooms
OUTLINE_TOLERANCE_M = 2000.0  # province lines only mark the borders at the national zooms
DETAIL_TOLERANCE_M = 20.0  # ~1 px at zoom 13
DETAIL_MIN_ZOOM = 9
DETAIL_FOLDER = "national-detail"
VIETNAM_BOUNDS = [[8.2, 102.1], [23.4, 109.5]]
TIP_JS = JsCode(
    "function (feature, layer) { layer.bindTooltip(feature.properties.tip, "
    "{sticky: true, className: 'tq-tip'}); }"
)


@dataclass(frozen=True)
class SavedNational:
    """The national map, its detail files and their total size."""

    html: SavedMap
    detail_folder: Path
    detail_files: int
    detail_bytes: int
    communes: int


def simplify_units(units: gpd.GeoDataFrame, tolerance_m: float, decimals: int):
    """Units simplified together in EPSG:32648 (one edge per shared border), rounded 4326.

    A source whose polygons are not a clean coverage (GEOS refuses it) is simplified unit
    by unit instead, topology kept within each.
    """
    try:
        return simplify_coverage(units, tolerance_m, METRIC_CRS, decimals)[1]
    except shapely.errors.GEOSException:
        metric = units.to_crs(METRIC_CRS)
        simple = shapely.simplify(metric.geometry.values, tolerance_m, preserve_topology=True)
        light = metric.set_geometry(gpd.array.from_shapely(simple, crs=METRIC_CRS)).to_crs(4326)
        return light.set_geometry(
            shapely.transform(light.geometry.values, lambda xy: np.round(xy, decimals))
        )


def commune_frame(shapes: NationalShapes, coverage: pd.DataFrame) -> gpd.GeoDataFrame:
    """Communes with their province (p), status class (st) and escaped tooltip (tip)."""
    # The tooltip is kept short: 3,321 of them weigh on the national file.
    communes = shapes.communes.copy()
    classes = commune_classes(coverage).reindex(communes["code"])
    communes["st"] = classes["st"].fillna("none").to_numpy()
    names = communes["full_name"].map(lambda v: str(esc(v))).to_numpy()
    status = communes["st"].map(lambda s: str(bilingual(*STATUS_LABELS[s])))
    communes["tip"] = "<b>" + names + "</b><br>" + status
    return communes.rename(columns={"province_code": "p"})


class NationalDetail(TuquanElement):
    """Loads a province's detailed communes from national-detail/ when zoomed in on it."""

    default_js = (*TuquanElement.default_js, ("tuquan_national_js", TUQUAN_NATIONAL_JS_URL))
    _template = Template(
        """{% macro script(this, kwargs) %}
        tuquan.nationalDetail({{ this._parent.get_name() }}, {{ this.layer.get_name() }},
            {{ this.outline.get_name() }}, {{ this.detail_options|tojson }});
        {% endmacro %}"""
    )

    def __init__(
        self, layer: folium.GeoJson, outline: folium.GeoJson, provinces: dict[str, list[float]]
    ) -> None:
        super().__init__()
        self._name = "NationalDetail"
        self.layer = layer
        self.outline = outline
        self.detail_options = {
            "folder": DETAIL_FOLDER,
            "minZoom": DETAIL_MIN_ZOOM,
            "provinces": provinces,
            "colours": STATUS_COLOURS,
            "fallback": "#cccccc",
            "baseStyle": COMMUNE_STYLE,
            "highlightStyle": {"color": "#d7301f", "weight": 4, "fillOpacity": 0.35},
        }


class _Frame(TuquanElement):
    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.fitBounds({{ this.bounds|tojson }}, {animate: false});
        L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        L.DomUtil.addClass({{ this._parent.get_name() }}.getContainer(), "tq-map");
        {% endmacro %}"""
    )

    def __init__(self, bounds) -> None:
        super().__init__()
        self._name = "Frame"
        self.bounds = bounds


def write_details(communes: gpd.GeoDataFrame, folder: Path) -> tuple[int, int]:
    """One detail file per province: (files, bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = total = 0
    for code, group in communes.groupby("p", sort=True):
        detail = simplify_units(group, DETAIL_TOLERANCE_M, COORD_DECIMALS)
        data = detail[["code", "st", "tip", "geometry"]].to_json(
            drop_id=True, separators=(",", ":"), ensure_ascii=False
        )
        text = f"tuquan.nationalDetailLoaded({json.dumps(str(code))}, {data});\n"
        path = folder / f"{code}.js"
        path.write_text(text, encoding="utf-8")
        files, total = files + 1, total + len(text.encode("utf-8"))
    return files, total


def national_map(
    shapes: NationalShapes,
    coverage: pd.DataFrame,
    out: Path,
    options: MapOptions | None = None,
    *,
    as_of: date | None = None,
    data_as_of=None,
    synthetic: bool = False,
) -> SavedNational:
    """Write national.html and its detail files into ``out``."""
    options = options or MapOptions()
    out = Path(out)
    communes = commune_frame(shapes, coverage)
    coarse = simplify_units(communes, COARSE_TOLERANCE_M, COARSE_DECIMALS)
    # The provinces' own polygons (the union of their communes, once these are loaded).
    outlines = simplify_units(shapes.provinces, OUTLINE_TOLERANCE_M, COARSE_DECIMALS)
    outlines = outlines[["code", "geometry"]]
    bounds = communes.groupby("p").geometry.agg(lambda g: list(g.total_bounds.round(4)))
    m = OfflineMap(
        location=[15.8, 105.8], zoom_start=6, basemap=options.basemap,
        basemap_attribution=options.basemap_attribution, assets=options.assets,
        page_title="Độ phủ mô hình — toàn quốc", control_scale=False,
    )  # fmt: skip
    _Frame(VIETNAM_BOUNDS).add_to(m)
    ThematicAssets().add_to(m)
    layer = folium.GeoJson(
        coarse[["code", "name", "unit_type", "p", "st", "tip", "geometry"]].to_geo_dict(
            drop_id=True
        ),
        name="Xã, phường / communes",
        style_function=lambda f: {
            **COMMUNE_STYLE,
            "fillColor": STATUS_COLOURS[f["properties"]["st"]],
        },
        highlight_function=lambda _f: COMMUNE_HIGHLIGHT,
        on_each_feature=TIP_JS,
        class_name="tq-commune",
    ).add_to(m)
    outline = folium.GeoJson(
        outlines.to_geo_dict(drop_id=True), name="Ranh giới tỉnh / province boundaries",
        style_function=lambda _f: {**OUTLINE_STYLE, "weight": 1.5},
        interactive=False, class_name="tq-outline",
    ).add_to(m)  # fmt: skip
    covered, total = coverage_summary(coverage)
    lines = (
        Markup("{}: {}").format(bilingual("Tình hình đến ngày", "as of"), esc(day(as_of))),
        Markup("{}: {}/{} ({:.1%})").format(
            bilingual("Xã có mô hình", "communes with the model"), covered, total,
            covered / total if total else 0,
        ),
        Markup("{}").format(bilingual("Phóng to để xem chi tiết xã", "zoom in for commune detail")),
    )  # fmt: skip
    if synthetic:
        synthetic_data_label().add_to(m)
    title_box(
        "Độ phủ mô hình “5 tự quản” — toàn quốc", "coverage of the model — national",
        "Việt Nam", options.made_on, data_as_of, lines,
    ).add_to(m)  # fmt: skip
    Attribution(f"Ranh giới / boundaries: {shapes.source.attribution}").add_to(m)
    Fullscreen().add_to(m)
    CommuneSearch(layer).add_to(m)
    # after the search box: the detail highlights the commune chosen there
    provinces = {str(k): [float(v) for v in b] for k, b in bounds.items()}
    NationalDetail(layer, outline, provinces).add_to(m)
    html = legend_box(
        "Chú giải", "legend",
        [section("Trạng thái của xã", "commune status", legend_rows(status_legend()))],
        note=f"Toàn quốc: đơn giản hóa {COARSE_TOLERANCE_M:g} m; từ mức thu phóng "
        f"{DETAIL_MIN_ZOOM}: {DETAIL_TOLERANCE_M:g} m / national view simplified "
        f"{COARSE_TOLERANCE_M:g} m, detail from zoom {DETAIL_MIN_ZOOM}",
    )  # fmt: skip
    HtmlBox(html, "tq-legend", "bottomright").add_to(m)
    folium.LayerControl(collapsed=False, position="topleft").add_to(m)
    saved = save_map(m, out / "national.html")
    files, size = write_details(communes, out / DETAIL_FOLDER)
    return SavedNational(saved, out / DETAIL_FOLDER, files, size, len(communes))


def build_national_map(
    engine: Engine,
    out: Path,
    options: MapOptions | None = None,
    *,
    as_of: date | None = None,
    refresh: bool = False,
) -> SavedNational:
    """Read every commune and the national coverage (stored result), write the map."""
    as_of = as_of or date.today()
    shapes = national_shapes(engine)
    result = coverage_result(engine, None, as_of, refresh=refresh)
    return national_map(
        shapes, result.frame, out, options, as_of=as_of, data_as_of=result.data_as_of,
        synthetic=has_synthetic_records(engine, None, incidents=False),
    )  # fmt: skip
