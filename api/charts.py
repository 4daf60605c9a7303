"""Small server-rendered SVG charts: geometry here, markup in the templates (no chart library).

Shares are 0–1; every chart has a fixed viewBox and scales with its container. Colours
are attributes (no inline style), so the page's CSP needs no 'unsafe-inline'.
"""

from __future__ import annotations

from dataclasses import dataclass

FACTOR_COLOURS = {
    "burden_count": "#b2182b",
    "burden_rate": "#ef8a62",
    "hotspot": "#762a83",
    "mentoring": "#1b7837",
    "gap": "#2166ac",
}
BAR_COLOUR = "#2c7fb8"


@dataclass(frozen=True)
class Bar:
    """One bar: its box, the value it shows and the words around it."""

    x: float
    y: float
    width: float
    height: float
    value: float
    label: str
    title: str
    text: str  # the value as printed
    note: str = ""
    colour: str = BAR_COLOUR


@dataclass(frozen=True)
class Chart:
    """A chart's viewBox size and bars."""

    width: int
    height: int
    bars: list[Bar]
    top: float = 1.0  # the share at the top of the value axis
    top_label: str = "100 %"


def _share(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return min(max(number, 0.0), 1.0) if number == number else 0.0


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def component_chart(shares: list[float], labels: list[str], titles: list[str]) -> Chart:
    """Horizontal bars: the share of communes with each of the five components."""
    label_w, bar_w, row_h, width = 130, 220, 26, 410
    bars = []
    for i, (share, label, title) in enumerate(zip(shares, labels, titles, strict=True)):
        value = _share(share)
        bars.append(
            Bar(label_w, 6 + i * row_h, max(value * bar_w, 0.5), row_h - 10, value, label,
                title, _percent(value))
        )  # fmt: skip
    return Chart(width, 12 + len(bars) * row_h, bars)


SCALE_STEPS = (0.05, 0.1, 0.2, 0.25, 0.5, 1.0)


def scale_top(values: list[float]) -> float:
    """The top of a 0–1 axis: the smallest round share at or above every value."""
    peak = max(values, default=0.0)
    return next((step for step in SCALE_STEPS if peak <= step), 1.0)


def year_chart(years: list[dict], new_label: str) -> Chart:
    """Vertical bars: the share of communes with the model at the end of each year.

    The axis runs from 0 to a round share just above the highest year (``Chart.top``), so
    that early growth of a few per cent stays visible."""
    width, height, top, bottom = 410, 180, 22, 34
    plot_h = height - top - bottom
    n = max(len(years), 1)
    slot = (width - 50) / n
    bar_w = min(38.0, slot * 0.7)
    axis_top = scale_top([_share(row.get("covered_share")) for row in years])
    bars = []
    for i, row in enumerate(years):
        value = _share(row.get("covered_share"))
        h = max(value / axis_top * plot_h, 0.5)
        new = int(row.get("new_communes") or 0)
        bars.append(
            Bar(40 + i * slot + (slot - bar_w) / 2, top + plot_h - h, bar_w, h, value,
                str(row.get("year")), f"{row.get('year')}: {_percent(value)}, +{new} {new_label}",
                _percent(value), note=f"+{new}" if new else "")
        )  # fmt: skip
    return Chart(width, height, bars, axis_top, _percent(axis_top))


@dataclass(frozen=True)
class Segment:
    """One factor's part of a candidate's score bar."""

    factor: str
    x: float
    width: float
    value: float
    colour: str


def score_segments(row: dict, factors: tuple[str, ...], width: float = 120.0) -> list[Segment]:
    """The stacked bar of a candidate's score: each factor's contribution (score ≤ 1)."""
    segments, x = [], 0.0
    for factor in factors:
        value = max(float(row.get(f"c_{factor}") or 0.0), 0.0)
        w = value * width
        segments.append(Segment(factor, x, w, value, FACTOR_COLOURS[factor]))
        x += w
    return segments
