"""Drawing pieces the thematic A4 figures share: legend handles, sites, numbered markers."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from pyproj import Transformer

from gis.domain import SITE_KINDS, SITE_STATUSES
from maps.controls import LegendItem
from maps.province import ProvinceBase
from maps.text import day
from maps.themes import SITE_STATUS_COLOURS

# Site kinds as marker shapes on paper (the HTML map uses icons).
KIND_MARKERS = {"commune": "s", "village": "^", "clan": "D", "religious": "P", "organisation": "o"}


def handle(item: LegendItem):
    """A matplotlib legend handle for a LegendItem of the HTML maps."""
    label = f"{item.label_vi} / {item.label_en}"
    if item.kind == "line":
        return Line2D([], [], color=item.stroke, lw=2, label=label)
    if item.kind == "point":
        return Line2D(
            [],
            [],
            ls="",
            marker="o",
            markersize=8,
            label=label,
            markerfacecolor=item.fill,
            markeredgecolor=item.stroke,
        )
    return Patch(facecolor=item.fill or "none", edgecolor=item.stroke, label=label)


# Where a legend may go: (loc, anchor, box it takes in axes fraction x0, y0, x1, y1). The
# lower left keeps clear of the scale bar, the upper right of the north arrow.
LEGEND_PLACES = (
    ("lower right", (1.0, 0.0), (0.58, 0.0, 1.0, 0.5)),
    ("upper left", (0.0, 1.0), (0.0, 0.5, 0.42, 1.0)),
    ("lower left", (0.0, 0.13), (0.0, 0.13, 0.42, 0.63)),
    ("upper right", (1.0, 0.82), (0.58, 0.32, 1.0, 0.82)),
)


def emptiest_place(ax: Axes, shape_m) -> tuple[str, tuple[float, float]]:
    """The legend place that hides the least of ``shape_m`` (axes data coordinates)."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    boxes = [
        shapely.box(x0 + a * (x1 - x0), y0 + b * (y1 - y0), x0 + c * (x1 - x0), y0 + d * (y1 - y0))
        for _loc, _anchor, (a, b, c, d) in LEGEND_PLACES
    ]
    hidden = shapely.area(shapely.intersection(np.array(boxes), shape_m))
    loc, anchor, _box = LEGEND_PLACES[int(np.argmin(hidden))]
    return loc, anchor


def legend(ax: Axes, handles: list, base: ProvinceBase) -> None:
    """The figure's legend, where it hides least of the province (not the scale or arrow)."""
    # (matplotlib's loc="best" tests every drawn path: seconds per figure.)
    outline_m = gpd.GeoSeries([base.outline], crs=4326).to_crs(base.metric_crs).iloc[0]
    loc, anchor = emptiest_place(ax, outline_m)
    ax.legend(
        handles=handles,
        title="Chú giải / legend",
        loc=loc,
        bbox_to_anchor=anchor,
        fontsize=7,
        title_fontsize=8,
        framealpha=0.92,
    )


def outline_handle() -> Line2D:
    """The province boundary's legend row."""
    return Line2D([], [], color="#1a1a1a", lw=2, label="Ranh giới tỉnh / province boundary")


def metric_xy(base: ProvinceBase, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes in the figure's metric CRS."""
    to_metric = Transformer.from_crs(4326, base.metric_crs, always_xy=True)
    x, y = to_metric.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x), np.asarray(y)


def subtitle(base: ProvinceBase, made_on: date, as_of, extra: str = "") -> str:
    """Province, date made and data as-of (and an extra line)."""
    parts = [
        base.full_name,
        f"lập ngày / made on {made_on:%d/%m/%Y}",
        f"dữ liệu đến / data as of {day(as_of)}",
    ]
    return " · ".join(parts) + (f"\n{extra}" if extra else "")


def source(base: ProvinceBase, analysis: str) -> str:
    """The source line at the foot of a figure."""
    return (
        f"Ranh giới / boundaries: {base.attribution}. Phân tích / analysis: tuquan, {analysis}. "
        f"Hệ tọa độ / CRS: {base.metric_crs.name}."
    )


def draw_sites(ax: Axes, base: ProvinceBase, sites: pd.DataFrame, size: float = 28) -> list:
    """Sites as markers (shape by kind, colour by status); returns their legend handles."""
    if not len(sites):
        return []
    x, y = metric_xy(base, sites["lon"], sites["lat"])
    colours = sites["status"].map(SITE_STATUS_COLOURS).fillna("#878787").to_numpy()
    kinds = sites["kind"].to_numpy()
    for kind, marker in KIND_MARKERS.items():
        mask = kinds == kind
        if mask.any():
            ax.scatter(
                x[mask],
                y[mask],
                s=size,
                marker=marker,
                c=colours[mask],
                edgecolors="white",
                linewidths=0.6,
                zorder=5,
            )
    return [
        Line2D(
            [],
            [],
            ls="",
            marker=KIND_MARKERS[t.key],
            markersize=6,
            markerfacecolor="#555555",
            markeredgecolor="white",
            label=f"{t.vi} / {t.en}",
        )
        for t in SITE_KINDS
    ] + [
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            markersize=6,
            markerfacecolor=SITE_STATUS_COLOURS[t.key],
            markeredgecolor="white",
            label=f"Mô hình {t.vi.lower()} / {t.en.split(' (')[0].lower()} site",
        )
        for t in SITE_STATUSES
    ]


def numbered(ax: Axes, x: float, y: float, number: int, colour: str, marker: str, dx: int):
    """A numbered marker, shifted ``dx`` × 6 points sideways."""
    # Side by side when a candidate and a chosen site share a commune: offset in points.
    offset = mpl.transforms.offset_copy(ax.transData, fig=ax.figure, x=dx * 6, y=0, units="points")
    ax.plot(
        x, y, marker=marker, ms=11, mfc=colour, mec="white", mew=0.8, transform=offset, zorder=6
    )
    ax.text(
        x,
        y,
        str(number),
        color="white",
        fontsize=6.5,
        weight="bold",
        ha="center",
        va="center",
        transform=offset,
        zorder=7,
    )
