"""Hotspot map: communes by Gi* confidence bin, H3 grid hotspots and kernel density.

The three analyses are gis.hotspots, gis.hotspots_grid and gis.density (stored results);
the map shows aggregates only (communes, hexagons, a smoothed surface), never incident
points. An analysis that cannot run on the data (too few incidents, none located finer than
the commune) leaves its layer out and says why on the map.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.raster_layers import ImageOverlay
from folium.utilities import JsCode
from markupsafe import Markup
from sqlalchemy.engine import Engine

from gis.density import density_result
from gis.domain import INCIDENT_CATEGORIES, label
from gis.errors import InputError
from gis.hotspots import hotspots_result
from gis.hotspots_grid import grid_hotspots_result
from gis.incident_filter import IncidentFilter
from gis.map_records import IncidentSpan, has_synthetic_records, incident_span
from gis.results import with_geometry
from maps.base import BASE_LEGEND, COMMUNE_STYLE, MapOptions, ProvinceMap
from maps.controls import HtmlBox
from maps.layers import ThematicAssets, legend_box, legend_rows, notice_box, ramp, section
from maps.province import COORD_DECIMALS, ProvinceBase
from maps.raster import DensityImage, density_colours, density_image, png_data_url
from maps.text import bilingual, count_text, day, esc
from maps.themes import GI_BIN_COLOURS, gi_bin_label, gi_bins, gi_legend

DEFAULT_BANDWIDTH_M = 1000.0
TOOLTIP_FROM_TIP = JsCode(
    "function (feature, layer) { layer.bindTooltip(feature.properties.tip, "
    "{sticky: true, className: 'tq-tip'}); }"
)
GRID_LAYER = "Điểm nóng lưới H3 / H3 grid hot spots"
DENSITY_LAYER = "Mật độ vụ việc (hạt nhân) / kernel density"


@dataclass
class HotspotData:
    """The three hotspot analyses of one filter, or why each could not run."""

    incidents: IncidentFilter
    span: IncidentSpan
    communes: pd.DataFrame | None  # gis.hotspots.commune_hotspots columns
    communes_summary: dict  # bins, incidents, left_out (gis.hotspots.summarise_bins)
    grid: gpd.GeoDataFrame | None  # significant H3 cells with their hexagons
    grid_summary: dict
    density: DensityImage | None
    density_frame: pd.DataFrame | None  # gis.density.kernel_density columns
    density_summary: dict
    data_as_of: datetime | None
    synthetic: bool
    notes: list[tuple[str, str]] = field(default_factory=list)  # (layer, why it is missing)


def _try(what: str, notes: list, compute):
    try:
        return compute()
    except InputError as exc:
        notes.append((what, exc.message))
        return None


def read_hotspots(
    engine: Engine,
    incidents: IncidentFilter,
    *,
    bandwidth_m: float = DEFAULT_BANDWIDTH_M,
    refresh: bool = False,
) -> HotspotData:
    """The commune, grid and density analyses of ``incidents`` (stored, computed if stale)."""
    incidents = incidents.check(engine)
    notes: list[tuple[str, str]] = []
    communes = _try("Gi*", notes, lambda: hotspots_result(engine, incidents, refresh=refresh))
    grid = _try("H3", notes, lambda: grid_hotspots_result(engine, incidents, refresh=refresh))
    density = _try(
        "density",
        notes,
        lambda: density_result(engine, incidents, bandwidth_m=bandwidth_m, refresh=refresh),
    )
    grid_cells = None
    if grid is not None:
        significant = grid.frame[grid.frame["bin"] != 0]
        grid_cells = with_geometry(engine, significant, "h3")
        grid_cells = grid_cells.set_geometry(
            shapely.transform(grid_cells.geometry.values, lambda xy: np.round(xy, COORD_DECIMALS))
        )
    image = None
    if density is not None and len(density.frame):
        image = density_image(
            density.frame, density.summary["cell_m"], density.summary.get("crs", "EPSG:32648")
        )
    as_of = [r.data_as_of for r in (communes, grid, density) if r is not None and r.data_as_of]
    return HotspotData(
        incidents=incidents,
        span=incident_span(engine, incidents),
        communes=communes.frame if communes is not None else None,
        communes_summary=communes.summary if communes is not None else {},
        grid=grid_cells,
        grid_summary=grid.summary if grid is not None else {},
        density=image,
        density_frame=density.frame if density is not None else None,
        density_summary=density.summary if density is not None else {},
        data_as_of=max(as_of) if as_of else None,
        synthetic=has_synthetic_records(engine, incidents.province, sites=False),
        notes=notes,
    )


def window_text(incidents: IncidentFilter, span: IncidentSpan) -> Markup:
    """'Thời gian / window: 01/01/2024 – 31/12/2025' (the given window, else the data's)."""
    if incidents.start or incidents.end:
        last = incidents.end - timedelta(days=1) if incidents.end else None
        window = f"{day(incidents.start) if incidents.start else '…'} – {day(last)}"
    else:
        window = f"{day(span.first_day)} – {day(span.last_day)} (toàn bộ / all)"
    return Markup("{}: {}").format(bilingual("Thời gian", "window"), esc(window))


def categories_text(incidents: IncidentFilter) -> Markup:
    """'Loại vụ việc / categories: …' (Vietnamese labels; 'tất cả / all' when unfiltered)."""
    if not incidents.categories:
        names = "tất cả / all"
    else:
        names = ", ".join(label(INCIDENT_CATEGORIES, c) for c in incidents.categories)
    return Markup("{}: {}").format(bilingual("Loại vụ việc", "categories"), esc(names))


def commune_tooltips(base: ProvinceBase, communes: pd.DataFrame | None) -> pd.Series:
    """Escaped tooltip per commune: name, incidents, z, p and its class."""
    names = base.communes["full_name"].map(lambda v: str(esc(v)))
    if communes is None:
        return names.map(lambda n: f"<b>{n}</b>")
    data = communes.set_index(communes["code"].astype(str)).reindex(base.communes["code"])
    bins = pd.Series(gi_bins(data["bin"]), index=data.index)
    classes = bins.map(lambda b: str(bilingual(*gi_bin_label(b))))
    withheld = (data["bin"].isna() & data["incidents"].isna()).to_numpy()  # privacy
    classes = classes.where(~withheld, count_text(None))
    z = data["z"].map(lambda v: "—" if pd.isna(v) else f"{v:.2f}")
    p = data["p_value"].map(lambda v: "—" if pd.isna(v) else f"{v:.3f}")
    count = data["incidents"].map(count_text)  # missing: withheld for privacy
    tips = (
        "<b>" + names.to_numpy() + "</b><br>" + classes
        + "<br>Vụ việc / incidents: " + count + "<br>Gi* z = " + z + ", p = " + p
    )  # fmt: skip
    return pd.Series(tips.to_numpy(), index=base.communes.index)


def grid_layer(cells: gpd.GeoDataFrame, resolution) -> folium.FeatureGroup:
    """Significant H3 cells coloured by their bin (a switchable overlay, off at first)."""
    group = folium.FeatureGroup(name=f"{GRID_LAYER} (res {resolution})", show=False)
    frame = cells[["h3_cell", "incidents", "z", "bin", "geometry"]].copy()
    frame["bin"] = gi_bins(frame["bin"])
    frame["tip"] = [
        f"{bilingual(*gi_bin_label(b))}<br>Vụ việc / incidents: {count_text(n)}<br>Gi* z = {z:.2f}"
        for b, n, z in zip(frame["bin"], frame["incidents"], frame["z"], strict=True)
    ]  # numbers and fixed labels only: nothing from users
    folium.GeoJson(
        frame.drop(columns=["z"]).to_geo_dict(drop_id=True),
        style_function=lambda f: {
            "color": "#333333",
            "weight": 0.6,
            "fillColor": GI_BIN_COLOURS[f["properties"]["bin"]],
            "fillOpacity": 0.8,
        },
        on_each_feature=TOOLTIP_FROM_TIP,
        class_name="tq-h3",
    ).add_to(group)
    return group


def density_layer(image: DensityImage) -> ImageOverlay:
    """The kernel density surface as an image overlay (off at first)."""
    return ImageOverlay(
        png_data_url(image.rgba),
        bounds=image.bounds,
        name=DENSITY_LAYER,
        opacity=0.85,
        interactive=False,
        zindex=400,
        show=False,
        className="tq-density",
    )


def _legend(data: HotspotData) -> Markup:
    parts = [section("Gi* theo xã", "Gi* per commune", legend_rows(gi_legend()))]
    if data.density is not None:
        peak = data.density.peak_per_km2
        bandwidth = data.density_summary.get("bandwidth_m", DEFAULT_BANDWIDTH_M)
        parts.append(
            section(
                f"Mật độ, bán kính {bandwidth:,.0f} m",
                "kernel density, vụ/km² (incidents per km²)",
                ramp(density_colours(), "0", f"{peak:,.1f}"),
            )
        )
    parts.append(legend_rows(BASE_LEGEND[:1]))
    left_out = data.communes_summary.get("left_out")
    note = (
        f"Gi* (Getis-Ord), ngưỡng FDR / FDR-corrected; {data.span.incidents:,} vụ việc / incidents"
    )
    if left_out:
        note += f"; {left_out} chỉ biết tỉnh, không tính / known only to the province, left out"
    if data.grid_summary:
        note += (
            f"; lưới / grid: {data.grid_summary.get('used', 0):,} vụ có tọa độ / located, "
            f"{data.grid_summary.get('left_out', 0):,} không / not"
        )
    return legend_box("Chú giải", "legend", parts, note=note)


def hotspot_map(
    base: ProvinceBase, data: HotspotData, options: MapOptions | None = None
) -> ProvinceMap:
    """The hotspot map of a province (save it with ``.save(path)``)."""
    options = options or MapOptions()
    if data.synthetic and not options.synthetic:
        options = dataclasses.replace(options, synthetic=True)
    bins = pd.DataFrame(index=base.communes["code"].to_numpy())
    if data.communes is not None:
        by_code = data.communes.set_index(data.communes["code"].astype(str))["bin"]
        bins["b"] = gi_bins(by_code.reindex(bins.index))
    else:
        bins["b"] = 0
    pm = ProvinceMap(
        base,
        "Điểm nóng vụ việc",
        "incident hot spots",
        options,
        data_as_of=data.data_as_of,
        commune_style=lambda f: {
            **COMMUNE_STYLE,
            "fillColor": GI_BIN_COLOURS[f["properties"]["b"]],
        },
        commune_properties=bins,
        commune_tooltips=commune_tooltips(base, data.communes),
        title_lines=(window_text(data.incidents, data.span), categories_text(data.incidents)),
    )
    pm.layer_control_position = "topleft"
    ThematicAssets().add_to(pm.map)
    if data.grid is not None:
        pm.add(grid_layer(data.grid, data.grid_summary.get("resolution", "?")))
    if data.density is not None:
        pm.add(density_layer(data.density))
    if data.notes:
        notice_box("Lớp không vẽ được", "layers not drawn", data.notes).add_to(pm.map)
    pm.add_legend_element(HtmlBox(_legend(data), "tq-legend", "bottomright"))
    return pm
