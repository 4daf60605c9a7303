"""Synthetic incidents 2020–2025 clustered around urban wards, market towns and main roads,
with category shares that differ by kind of area.

The road corridors join former district centres along the national roads of the old
provinces (QL1, QL10, QL21 in Ninh Bình, Nam Định, Hà Nam): approximate lines, good enough
to make traffic incidents line up the way they do on real maps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis.demo_area import Area

CATEGORIES = ("crime", "social_evils", "property_fire", "public_order", "offenders", "other")
# Category shares per kind of area (rows sum to 1).
SHARES = {
    "urban": (0.30, 0.20, 0.10, 0.30, 0.05, 0.05),
    "town": (0.20, 0.15, 0.25, 0.25, 0.05, 0.10),
    "road": (0.05, 0.03, 0.04, 0.82, 0.01, 0.05),
    "rural": (0.15, 0.30, 0.15, 0.15, 0.15, 0.10),
}
AREA_SHARES = {"urban": 0.35, "town": 0.20, "road": 0.20, "rural": 0.25}
SPREAD_KM = {"urban": 0.9, "town": 0.5, "road": 0.12}
# Former district codes the corridors pass through, in order (province 37 after 2025).
CORRIDORS = {
    "QL1": ("349", "347", "351", "374", "370"),
    "QL21": ("347", "352", "356"),
    "QL10": ("356", "359", "360", "375", "374"),
}
SUBCATEGORIES = {
    "crime": ("Trộm cắp tài sản", "Cướp giật tài sản", "Lừa đảo chiếm đoạt tài sản",
              "Cố ý gây thương tích"),
    "social_evils": ("Đánh bạc", "Tàng trữ trái phép chất ma túy", "Sử dụng trái phép chất ma túy",
                     "Mua bán dâm"),
    "property_fire": ("Cháy nhà dân", "Cháy cơ sở kinh doanh", "Cháy rừng", "Nổ bình gas"),
    "public_order": ("Tai nạn giao thông", "Gây rối trật tự công cộng",
                     "Vi phạm trật tự đô thị", "Đánh nhau"),
    "offenders": ("Người lầm lỗi tái phạm", "Vi phạm nghĩa vụ người được tha tù"),
    "other": ("Tranh chấp dân sự", "Mất tích", "Khác"),
}  # fmt: skip
YEAR_WEIGHTS = {2020: 0.15, 2021: 0.14, 2022: 0.17, 2023: 0.18, 2024: 0.18, 2025: 0.18}
KM_PER_DEGREE = 111.0


def _centres(area: Area) -> dict[str, np.ndarray]:
    """(lon, lat) of urban wards and market towns."""
    communes = area.communes
    urban = communes[communes["unit_type"] == "phường"][["lon", "lat"]].to_numpy()
    towns = area.wards[area.wards["ward_type"] == "Thị trấn"][["lon", "lat"]].to_numpy()
    return {"urban": urban, "town": towns}


def _corridors(area: Area) -> list[np.ndarray]:
    """Polylines (n × 2 arrays of lon, lat) through former district centres."""
    centres = area.wards.groupby("district_code")[["district_lon", "district_lat"]].first()
    lines = []
    for codes in CORRIDORS.values():
        known = [c for c in codes if c in centres.index]
        if len(known) >= 2:
            lines.append(centres.loc[known].to_numpy())
    return lines


def _near(centres: np.ndarray, n: int, spread_km: float, rng) -> tuple[np.ndarray, np.ndarray]:
    pick = centres[rng.integers(len(centres), size=n)]
    offset = rng.normal(0, spread_km / KM_PER_DEGREE, size=(n, 2))
    return pick[:, 0] + offset[:, 0], pick[:, 1] + offset[:, 1]


def _along(lines: list[np.ndarray], n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    segments = np.concatenate([np.stack([line[:-1], line[1:]], axis=1) for line in lines])
    lengths = np.hypot(*(segments[:, 1] - segments[:, 0]).T)
    chosen = segments[rng.choice(len(segments), size=n, p=lengths / lengths.sum())]
    t = rng.random(n)[:, None]
    points = chosen[:, 0] + t * (chosen[:, 1] - chosen[:, 0])
    points += rng.normal(0, SPREAD_KM["road"] / KM_PER_DEGREE, size=(n, 2))
    return points[:, 0], points[:, 1]


def _times(n: int, categories: np.ndarray, rng) -> pd.DatetimeIndex:
    """Local times: years weighted, evenings for crime, rush hours for traffic."""
    years = np.array(list(YEAR_WEIGHTS))
    year = years[rng.choice(len(years), size=n, p=np.array(list(YEAR_WEIGHTS.values())))]
    day = rng.integers(0, 365, size=n)
    evening = rng.normal(20, 2.5, size=n)
    rush = np.where(rng.random(n) < 0.5, rng.normal(7.5, 1, n), rng.normal(17.5, 1.2, n))
    anytime = rng.uniform(0, 24, size=n)
    hour = np.where(np.isin(categories, ("crime", "social_evils")), evening, anytime)
    hour = np.where(categories == "public_order", rush, hour) % 24
    starts = pd.to_datetime([f"{y}-01-01" for y in year])
    return starts + pd.to_timedelta(day, unit="D") + pd.to_timedelta(np.round(hour * 60), unit="m")


def incidents(area: Area, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """About ``n`` incidents: ref, local time, category, subcategory, area kind, point, commune."""
    centres, lines = _centres(area), _corridors(area)
    kinds = [k for k in AREA_SHARES if k == "rural" or (k == "road" and lines)
             or (k in centres and len(centres[k]))]  # fmt: skip
    weights = np.array([AREA_SHARES[k] for k in kinds])
    drawn = np.array(kinds)[rng.choice(len(kinds), size=n, p=weights / weights.sum())]
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    for kind in kinds:
        rows = np.flatnonzero(drawn == kind)
        if kind == "rural":
            pos = rng.integers(len(area.communes), size=len(rows))
            lon[rows], lat[rows] = area.random_points(pos, rng)
        elif kind == "road":
            lon[rows], lat[rows] = _along(lines, len(rows), rng)
        else:
            lon[rows], lat[rows] = _near(centres[kind], len(rows), SPREAD_KM[kind], rng)
    pos = area.commune_at(lon, lat)
    inside = pos >= 0  # points that fell outside the province (sea, neighbours) are dropped
    drawn, lon, lat, pos = drawn[inside], lon[inside], lat[inside], pos[inside]
    m = len(drawn)
    categories = np.empty(m, dtype=object)
    for kind in kinds:
        rows = np.flatnonzero(drawn == kind)
        categories[rows] = np.array(CATEGORIES)[rng.choice(6, size=len(rows), p=SHARES[kind])]
    sub = np.array([SUBCATEGORIES[c][int(rng.integers(len(SUBCATEGORIES[c])))] for c in categories])
    when = _times(m, categories, rng)
    order = np.argsort(when.values, kind="stable")
    frame = pd.DataFrame(
        {"occurred_local": when, "category": categories, "subcategory": sub, "area_kind": drawn,
         "lon": lon, "lat": lat, "commune_pos": pos}
    ).iloc[order].reset_index(drop=True)  # fmt: skip
    year = frame["occurred_local"].dt.year.astype(str)
    frame.insert(
        0, "ref", "VV-" + year + "-" + (frame.groupby(year).cumcount() + 1).map("{:05d}".format)
    )
    return frame
