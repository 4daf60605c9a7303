"""Static A4 figures (PNG and PDF) for printed reports: map, legend, scale, north, source.

Drawn in a metric CRS (the province's UTM zone) so that the scale bar is exact; no pyplot
(no global state): each figure is a matplotlib Figure saved directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib_scalebar.scalebar import ScaleBar

from maps.base import BASE_LEGEND
from maps.controls import LegendItem
from maps.province import ProvinceBase

A4_INCHES = (210 / 25.4, 297 / 25.4)  # portrait width, height
PNG_DPI = 200
FONT = "DejaVu Sans"  # ships with matplotlib and covers Vietnamese


@dataclass(frozen=True)
class FigureText:
    """The words around a static map (Vietnamese first, English alternative)."""

    title_vi: str
    title_en: str
    subtitle: str  # e.g. "Tỉnh Ninh Bình · lập ngày 29/11/2026 · dữ liệu đến 29/11/2026"
    source: str  # the source/attribution line printed at the foot
    synthetic: bool = False


@dataclass(frozen=True)
class SavedFigure:
    """The PNG and PDF files of one figure."""

    png: Path
    pdf: Path


def a4_map_figure(bounds_m: Sequence[float], text: FigureText) -> tuple[Figure, Axes]:
    """An A4 page (portrait or landscape, whichever fits the extent) with title and footer."""
    minx, miny, maxx, maxy = bounds_m
    landscape = (maxx - minx) > 1.15 * (maxy - miny)
    width_in, height_in = A4_INCHES[::-1] if landscape else A4_INCHES
    fig = Figure(figsize=(width_in, height_in))
    fig.text(0.5, 0.965, text.title_vi, ha="center", va="top", fontsize=17, weight="bold")
    fig.text(0.5, 0.93, text.title_en, ha="center", va="top", fontsize=11, color="#555555")
    fig.text(0.5, 0.905, text.subtitle, ha="center", va="top", fontsize=9.5, color="#333333")
    if text.synthetic:
        fig.text(
            0.97,
            0.985,
            "DỮ LIỆU MÔ PHỎNG / SYNTHETIC DATA",
            ha="right",
            va="top",
            fontsize=10,
            weight="bold",
            color="white",
            bbox={"boxstyle": "round,pad=0.35", "facecolor": "#b2182b", "edgecolor": "none"},
        )
    fig.text(
        0.03, 0.02, text.source, ha="left", va="bottom", fontsize=7, color="#444444", wrap=True
    )
    ax = fig.add_axes((0.04, 0.06, 0.92, 0.82))
    ax.set_aspect("equal")
    ax.set_axis_off()
    pad_x, pad_y = 0.03 * (maxx - minx), 0.03 * (maxy - miny)
    ax.set_xlim(minx - pad_x, maxx + pad_x)
    ax.set_ylim(miny - pad_y, maxy + pad_y)
    return fig, ax


def add_scale_bar(ax: Axes) -> ScaleBar:
    """A metric scale bar (the axes must be in metres)."""
    bar = ScaleBar(
        1,
        "m",
        location="lower left",
        length_fraction=0.25,
        box_alpha=0.85,
        font_properties={"size": 9},
    )
    ax.add_artist(bar)
    return bar


def add_north_arrow(ax: Axes, x: float = 0.95, y: float = 0.95) -> None:
    """A north arrow ('B' for Bắc / N). UTM grid north is within 1° of true north in Vietnam."""
    ax.annotate(
        "",
        xy=(x, y),
        xytext=(x, y - 0.08),
        xycoords="axes fraction",
        arrowprops={"facecolor": "black", "edgecolor": "black", "width": 5, "headwidth": 15},
    )
    ax.text(
        x,
        y + 0.005,
        "B / N",
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=10,
        weight="bold",
    )


def add_legend(ax: Axes, title: str, items: Sequence[LegendItem], loc: str = "lower right"):
    """A legend of patches, lines and points, labels 'Vietnamese / English'."""
    handles = []
    for item in items:
        label = f"{item.label_vi} / {item.label_en}"
        if item.kind == "line":
            handles.append(Line2D([], [], color=item.stroke, lw=2, label=label))
        elif item.kind == "point":
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="",
                    marker="o",
                    markersize=8,
                    label=label,
                    markerfacecolor=item.fill,
                    markeredgecolor=item.stroke,
                )
            )
        else:
            handles.append(
                Patch(
                    facecolor=item.fill or "none",
                    edgecolor=item.stroke,
                    alpha=item.opacity,
                    label=label,
                )
            )
    return ax.legend(
        handles=handles, title=title, loc=loc, fontsize=8, title_fontsize=9, framealpha=0.9
    )


def save_figure(fig: Figure, stem: Path) -> SavedFigure:
    """Write stem.png (200 dpi) and stem.pdf (fonts embedded as TrueType)."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, pdf = stem.with_suffix(".png"), stem.with_suffix(".pdf")
    with mpl.rc_context({"pdf.fonttype": 42, "font.family": FONT}):
        fig.savefig(png, dpi=PNG_DPI, metadata={"Software": "tuquan"})
        fig.savefig(pdf, metadata={"Creator": "tuquan", "CreationDate": None})
    return SavedFigure(png, pdf)


def draw_communes(
    ax: Axes, base: ProvinceBase, facecolor="#f4f1e8", column: str | None = None, **kwargs
) -> None:
    """The province's communes (thin edges) and its outline, in the metric CRS."""
    communes = base.communes_metric
    if column is None:
        communes.plot(ax=ax, facecolor=facecolor, edgecolor="#5b6770", linewidth=0.3, **kwargs)
    else:
        communes.plot(ax=ax, column=column, edgecolor="#5b6770", linewidth=0.3, **kwargs)
    outline = gpd.GeoSeries([base.outline], crs=4326).to_crs(base.metric_crs)
    outline.boundary.plot(ax=ax, color="#1a1a1a", linewidth=1.2)


def province_figure(
    base: ProvinceBase, stem: Path, made_on: date | None = None, synthetic: bool = False
) -> SavedFigure:
    """The base map as an A4 figure: communes, outline, legend, scale bar, north arrow."""
    made_on = made_on or date.today()
    as_of = base.data_as_of.strftime("%d/%m/%Y") if base.data_as_of else "—"
    text = FigureText(
        "Bản đồ nền hành chính",
        "Administrative base map",
        f"{base.full_name} · {len(base.communes)} xã, phường / communes · "
        f"lập ngày / made on {made_on:%d/%m/%Y} · dữ liệu đến / data as of {as_of}",
        f"Ranh giới / boundaries: {base.attribution}. Hệ tọa độ / CRS: {base.metric_crs.name}.",
        synthetic,
    )
    with mpl.rc_context({"font.family": FONT}):
        fig, ax = a4_map_figure(base.communes_metric.total_bounds, text)
        draw_communes(ax, base)
        add_legend(ax, "Chú giải / legend", BASE_LEGEND)
        add_scale_bar(ax)
        add_north_arrow(ax)
    return save_figure(fig, stem)
