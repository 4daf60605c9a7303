"""A4 figures (PNG + PDF) of the coverage, hotspot and planning maps, for printed reports.

Same classes and colours as the HTML maps (maps.themes), drawn in the province's metric
CRS with the page, scale bar, north arrow and source of maps.figures.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import matplotlib as mpl
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch

from gis.domain import ACTIVE_STATUSES, INCIDENT_CATEGORIES, label
from maps.coverage import CoverageData, commune_classes, coverage_summary
from maps.figure_parts import (
    draw_sites,
    handle,
    legend,
    metric_xy,
    numbered,
    outline_handle,
    source,
    subtitle,
)
from maps.figures import (
    FONT,
    FigureText,
    SavedFigure,
    a4_map_figure,
    add_north_arrow,
    add_scale_bar,
    draw_communes,
    save_figure,
)
from maps.hotspots import HotspotData
from maps.planning import PlanningData
from maps.province import ProvinceBase
from maps.raster import DENSITY_CMAP, colour_density, resample
from maps.text import day
from maps.themes import (
    CANDIDATE_COLOUR,
    CHOSEN_COLOUR,
    GI_BIN_COLOURS,
    PLAN_COLOURS,
    STATUS_COLOURS,
    gi_bins,
    gi_legend,
    plan_legend,
    status_legend,
)

EDGE = "#5b6770"


def coverage_figure(
    base: ProvinceBase, data: CoverageData, stem, made_on: date | None = None
) -> SavedFigure:
    """Communes by model status, sites by kind (shape) and status (colour)."""
    made_on = made_on or date.today()
    covered, total = coverage_summary(data.communes)
    classes = commune_classes(data.communes).reindex(base.communes["code"])
    colours = classes["st"].map(STATUS_COLOURS).fillna("#cccccc").to_numpy()
    text = FigureText(
        "Độ phủ mô hình “5 tự quản”",
        "Coverage of the 5 tự quản model",
        subtitle(
            base,
            made_on,
            data.data_as_of,
            f"tình hình đến / as of {day(data.as_of)} · xã có mô hình / communes with the "
            f"model: {covered}/{total} · mô hình / sites: {len(data.sites)}",
        ),
        source(base, "gis.coverage"),
        data.synthetic,
    )
    with mpl.rc_context({"font.family": FONT}):
        fig, ax = a4_map_figure(base.communes_metric.total_bounds, text)
        draw_communes(ax, base, facecolor=colours)
        handles = [handle(i) for i in status_legend()]
        handles += draw_sites(ax, base, data.sites)
        legend(ax, [*handles, outline_handle()], base)
        add_scale_bar(ax)
        add_north_arrow(ax)
    return save_figure(fig, stem)


def _draw_density(ax: Axes, base: ProvinceBase, data: HotspotData, frame: pd.DataFrame) -> None:
    """The kernel density surface as an image in the figure's CRS (raster even in the PDF)."""
    summary = data.density_summary
    values, extent, peak = resample(
        frame, summary["cell_m"], summary.get("crs", "EPSG:32648"), base.metric_crs, 1600
    )
    ax.imshow(
        colour_density(values, peak), extent=extent, origin="upper", zorder=3,
        interpolation="bilinear",
    )  # fmt: skip


def hotspot_figure(
    base: ProvinceBase,
    data: HotspotData,
    stem,
    made_on: date | None = None,
) -> SavedFigure:
    """Communes by Gi* bin; the kernel density surface over them when given."""
    made_on = made_on or date.today()
    bins = pd.Series(0, index=base.communes["code"])
    if data.communes is not None:
        found = data.communes.set_index(data.communes["code"].astype(str))["bin"]
        bins = pd.Series(gi_bins(found.reindex(bins.index)), index=bins.index)
    colours = bins.map(GI_BIN_COLOURS).to_numpy()
    window = day(data.span.first_day) + " – " + day(data.span.last_day)
    if data.incidents.start or data.incidents.end:
        window = f"{day(data.incidents.start)} – {day(data.incidents.end)} (không gồm / excl.)"
    categories = (
        ", ".join(label(INCIDENT_CATEGORIES, c) for c in data.incidents.categories)
        if data.incidents.categories
        else "tất cả / all"
    )
    text = FigureText(
        "Điểm nóng vụ việc",
        "Incident hot spots (Getis-Ord Gi*, FDR)",
        subtitle(
            base,
            made_on,
            data.data_as_of,
            f"thời gian / window: {window} · loại / categories: {categories} · "
            f"{data.span.incidents:,} vụ việc / incidents",
        ),
        source(base, "gis.hotspots, gis.density (quartic kernel)"),
        data.synthetic,
    )
    with mpl.rc_context({"font.family": FONT}):
        fig, ax = a4_map_figure(base.communes_metric.total_bounds, text)
        draw_communes(ax, base, facecolor=colours)
        handles = [handle(i) for i in gi_legend()]
        if data.density_frame is not None and len(data.density_frame):
            _draw_density(ax, base, data, data.density_frame)
            bandwidth = data.density_summary.get("bandwidth_m", 0)
            handles.append(
                Patch(
                    facecolor=mpl.colormaps[DENSITY_CMAP](0.7),
                    alpha=0.7,
                    label=f"Mật độ hạt nhân / kernel density ({bandwidth:,.0f} m)",
                )
            )
        legend(ax, [*handles, outline_handle()], base)
        add_scale_bar(ax)
        add_north_arrow(ax)
    return save_figure(fig, stem)


def planning_figure(
    base: ProvinceBase, data: PlanningData, stem, made_on: date | None = None
) -> SavedFigure:
    """Gap map: covered / gap / uncovered communes, ranked candidates, chosen sites and radius."""
    made_on = made_on or date.today()
    classes = data.classes.reindex(base.communes["code"]).fillna("uncovered")
    s = data.covering
    extra = f"{len(data.candidates)} ứng viên hàng đầu / top candidates"
    if s:
        extra += (
            f" · tối ưu phủ / max covering: {s['k']} vị trí / sites, "
            f"{s['radius_m']:,.0f} m, {s['share_before']:.0%} → {s['share_after']:.0%}"
        )
    text = FigureText(
        "Đề xuất nhân rộng mô hình",
        "Where to replicate the model next",
        subtitle(base, made_on, data.data_as_of, extra),
        source(base, "gis.planning, gis.covering (spopt MCLP)"),
        data.synthetic,
    )
    radius = s.get("radius_m", 0)
    with mpl.rc_context({"font.family": FONT}):
        fig, ax = a4_map_figure(base.communes_metric.total_bounds, text)
        draw_communes(ax, base, facecolor=classes.map(PLAN_COLOURS).to_numpy())
        handles = [handle(i) for i in plan_legend()]
        active = data.sites[data.sites["status"].isin(ACTIVE_STATUSES)]
        if radius and len(active):
            # the area the existing sites already reach, as one shape (hundreds of circles
            # would bury the map)
            x, y = metric_xy(base, active["lon"], active["lat"])
            reach = shapely.union_all(shapely.buffer(shapely.points(x, y), radius))
            gpd.GeoSeries([reach]).plot(
                ax=ax, facecolor="#1b7837", alpha=0.1, edgecolor="#1b7837", linewidth=0.6,
                linestyle="--", zorder=4,
            )  # fmt: skip
            handles.append(
                Patch(facecolor="#1b7837", alpha=0.25, edgecolor="#1b7837", linestyle="--",
                      label=f"Trong {radius:,.0f} m quanh mô hình hiện có / within reach "
                      "of existing sites")
            )  # fmt: skip
        handles += draw_sites(ax, base, data.sites, size=14)
        if data.chosen is not None and len(data.chosen):
            x, y = metric_xy(base, data.chosen["lon"], data.chosen["lat"])
            for cx, cy, order in zip(x, y, data.chosen["order"], strict=True):
                ax.add_patch(
                    Circle(
                        (cx, cy),
                        radius,
                        fc=CHOSEN_COLOUR,
                        alpha=0.12,
                        ec=CHOSEN_COLOUR,
                        lw=1.2,
                        zorder=4,
                    )
                )
                numbered(ax, cx, cy, int(order), CHOSEN_COLOUR, "s", dx=1)
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="",
                    marker="s",
                    markersize=8,
                    markerfacecolor=CHOSEN_COLOUR,
                    markeredgecolor="white",
                    label=f"Vị trí mới, bán kính {radius:,.0f} m / new site, radius",
                )
            )
        if len(data.candidates):
            shapes = base.communes_metric.set_index("code").geometry
            points = shapely.point_on_surface(shapes.reindex(data.candidates["code"]).values)
            for point, rank in zip(points, data.candidates["rank"], strict=True):
                numbered(ax, point.x, point.y, int(rank), CANDIDATE_COLOUR, "o", dx=-1)
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="",
                    marker="o",
                    markersize=8,
                    markerfacecolor=CANDIDATE_COLOUR,
                    markeredgecolor="white",
                    label="Ứng viên theo thứ hạng / candidate by rank",
                )
            )
        legend(ax, [*handles, outline_handle()], base)
        add_scale_bar(ax)
        add_north_arrow(ax)
    return save_figure(fig, stem)
