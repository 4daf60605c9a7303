"""Colours, classes and legend rows of the thematic maps (HTML and static figures alike).

One place decides how a value becomes a class and a colour, so the HTML map, its legend and
the printed figure cannot disagree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis.domain import ACTIVE_STATUSES, COMPONENTS, SITE_KINDS, Term, label
from maps.controls import LegendItem

# -- coverage: model status of a commune, number of components ----------------------------
NO_MODEL = "none"
COMMUNE_STATUSES = (NO_MODEL, "pilot", "replicated")
STATUS_COLOURS = {NO_MODEL: "#f4f1e8", "pilot": "#f4a582", "replicated": "#1b7837"}
STATUS_LABELS = {
    NO_MODEL: ("Chưa có mô hình", "no model"),
    "pilot": ("Thí điểm", "pilot"),
    "replicated": ("Nhân rộng", "replicated"),
}
# 0 … 5 components (ColorBrewer PuBu, 0 left pale so "none" reads as empty)
COMPONENT_COLOURS = ("#f4f1e8", "#d0d1e6", "#a6bddb", "#74a9cf", "#2b8cbe", "#045a8d")


def commune_status(status: pd.Series) -> pd.Series:
    """A commune's map class from its most advanced site status: none, pilot or replicated.

    Planned and suspended sites do not run the model: their communes show as 'none'.
    """
    return status.where(status.isin(ACTIVE_STATUSES), NO_MODEL).astype(str)


def status_legend() -> tuple[LegendItem, ...]:
    """Legend rows of the model status classes."""
    return tuple(
        LegendItem(*STATUS_LABELS[key], fill=STATUS_COLOURS[key], stroke="#5b6770")
        for key in COMMUNE_STATUSES
    )


def component_legend() -> tuple[LegendItem, ...]:
    """Legend rows of the number of components, 0 to 5."""
    return tuple(
        LegendItem(f"{n} thành phần", f"{n} component{'s' if n != 1 else ''}", fill=colour)
        for n, colour in enumerate(COMPONENT_COLOURS)
    )


# -- sites: an icon per kind, a colour per status ------------------------------------------
SITE_ICONS = {
    "commune": "landmark",
    "village": "people-roof",
    "clan": "people-group",
    "religious": "place-of-worship",
    "organisation": "handshake",
}
SITE_STATUS_COLOURS = {
    "planned": "#878787",
    "pilot": "#d6604d",
    "replicated": "#1b7837",
    "suspended": "#4d4d4d",
}


def kind_term(key: str) -> Term:
    """The vocabulary term of a site kind (an unknown key labels itself)."""
    return next((t for t in SITE_KINDS if t.key == key), Term(key, key, key))


def component_names(numbers, lang: str = "vi") -> str:
    """'1. Phòng, chống tội phạm; 3. …' for component numbers."""
    return "; ".join(f"{n}. {label(COMPONENTS, COMPONENTS[n - 1].key, lang)}" for n in numbers)


# -- hotspots: Gi* confidence bins -3 … +3 ----------------------------------------------
# ColorBrewer RdBu, 7 classes: the red–white–blue scheme of hot spot maps.
GI_BIN_COLOURS = {
    3: "#b2182b",
    2: "#ef8a62",
    1: "#fddbc7",
    0: "#f7f7f7",
    -1: "#d1e5f0",
    -2: "#67a9cf",
    -3: "#2166ac",
}
_CONFIDENCE = {3: 99, 2: 95, 1: 90}


def gi_bin_label(b: int) -> tuple[str, str]:
    """('Điểm nóng, tin cậy 99 %', 'hot spot, 99 % confidence') for bin 3, and so on."""
    if b == 0:
        return ("Không có ý nghĩa thống kê", "not significant")
    level = _CONFIDENCE[abs(b)]
    if b > 0:
        return (f"Điểm nóng, tin cậy {level} %", f"hot spot, {level} % confidence")
    return (f"Điểm lạnh, tin cậy {level} %", f"cold spot, {level} % confidence")


def gi_bins(values) -> np.ndarray:
    """Bins as integers clipped to -3 … 3 (missing → 0, not significant)."""
    return np.clip(np.nan_to_num(np.asarray(values, dtype=float)), -3, 3).astype(np.int64)


def gi_legend() -> tuple[LegendItem, ...]:
    """The 7 Gi* classes, hottest first."""
    return tuple(
        LegendItem(*gi_bin_label(b), fill=GI_BIN_COLOURS[b], stroke="#5b6770")
        for b in range(3, -4, -1)
    )


# -- planning: gaps and candidates -------------------------------------------------------
COVERED_COLOUR = "#a6dba0"
GAP_COLOUR = "#d7301f"
UNCOVERED_COLOUR = "#f4f1e8"
CANDIDATE_COLOUR = "#54278f"
CHOSEN_COLOUR = "#e08214"
PLAN_CLASSES = ("covered", "gap", "uncovered")
PLAN_COLOURS = {"covered": COVERED_COLOUR, "gap": GAP_COLOUR, "uncovered": UNCOVERED_COLOUR}
PLAN_LABELS = {
    "covered": ("Đã có mô hình", "runs the model"),
    "gap": ("Điểm nóng chưa có mô hình", "hot spot without the model (gap)"),
    "uncovered": ("Chưa có mô hình", "no model"),
}


def plan_class(covered: pd.Series, gi_bin: pd.Series) -> pd.Series:
    """covered, gap (no model and a hot spot at 90 % or more) or uncovered."""
    covered = covered.fillna(False).astype(bool)
    hot = pd.Series(gi_bins(gi_bin), index=gi_bin.index) > 0
    return pd.Series(
        np.select([covered, hot], ["covered", "gap"], "uncovered"), index=covered.index
    )


def plan_legend() -> tuple[LegendItem, ...]:
    """Legend rows of the planning classes."""
    return tuple(
        LegendItem(*PLAN_LABELS[key], fill=PLAN_COLOURS[key], stroke="#5b6770")
        for key in PLAN_CLASSES
    )
