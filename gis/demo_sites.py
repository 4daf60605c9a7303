"""Synthetic rollout of the model: one pilot per former district in 2020, then yearly
replication waves 2021–2025 that spread mostly to neighbouring communes.

The mix of kinds and components follows how the model is described in the provincial
notices: communes and villages take all five components more often, clans and religious
establishments take the ones closest to their role.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from gis.demo_area import Area

WAVES = {2021: 0.10, 2022: 0.18, 2023: 0.24, 2024: 0.28, 2025: 0.20}  # share of new sites
SITES_PER_COMMUNE = 3.2  # replicated sites by 2025, per current commune
NEIGHBOUR_SHARE = 0.8  # replication goes next door this often
KINDS = ("commune", "village", "clan", "religious", "organisation")
KIND_SHARES = (0.14, 0.46, 0.18, 0.10, 0.12)
# Probability of each component (1..5) per kind.
COMPONENT_ODDS = {
    "commune": (1.0, 1.0, 1.0, 1.0, 1.0),
    "village": (0.95, 0.9, 0.8, 0.7, 0.75),
    "clan": (0.8, 0.9, 0.4, 0.3, 0.9),
    "religious": (0.7, 0.8, 0.9, 0.5, 0.4),
    "organisation": (0.6, 0.9, 0.3, 0.6, 0.8),
}
CLANS = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đinh", "Bùi", "Đỗ", "Đặng", "Ngô")
ORGANISATIONS = ("Hội Phụ nữ", "Đoàn Thanh niên", "Hội Cựu chiến binh", "Hội Nông dân")
RELIGIOUS = ("Giáo xứ", "Giáo họ", "Chùa", "Đền")


def _components(kind: str, rng: np.random.Generator) -> list[int]:
    odds = np.array(COMPONENT_ODDS[kind])
    chosen = [i + 1 for i in np.flatnonzero(rng.random(5) < odds)]
    return chosen or [int(rng.integers(1, 6))]


def _name(kind: str, commune: pd.Series, n: int, rng: np.random.Generator) -> str:
    place = commune["full_name"]
    if kind == "commune":
        return f"Mô hình “5 tự quản” {place}"
    if kind == "village":
        unit = "tổ dân phố" if commune["unit_type"] == "phường" else "thôn"
        return f"{unit.capitalize()} {n} tự quản về ANTT, {place}"
    if kind == "clan":
        return f"Dòng họ {CLANS[int(rng.integers(len(CLANS)))]} tự quản về ANTT, {place}"
    if kind == "religious":
        return f"{RELIGIOUS[int(rng.integers(len(RELIGIOUS)))]} {commune['name']} bình yên"
    org = ORGANISATIONS[int(rng.integers(len(ORGANISATIONS)))]
    return f"{org} {place} tự quản về ANTT"


def _day(year: int, rng: np.random.Generator, first_month: int = 1, last_month: int = 12):
    start = dt.date(year, first_month, 1).toordinal()
    end = dt.date(year + (last_month == 12), last_month % 12 + 1, 1).toordinal()
    return dt.date.fromordinal(int(rng.integers(start, end)))


def _pilot_communes(area: Area) -> pd.DataFrame:
    """Per former district, its seat: the town or ward nearest the district centre."""
    wards = area.wards.copy()
    wards["urban"] = wards["ward_type"].isin(["Thị trấn", "Phường"])
    wards["dist"] = np.hypot(
        wards["lon"] - wards["district_lon"], wards["lat"] - wards["district_lat"]
    )
    wards = wards.sort_values(["district_code", "urban", "dist", "ward_code"],
                              ascending=[True, False, True, True])  # fmt: skip
    return wards.groupby("district_code", sort=True).head(1).reset_index(drop=True)


def rollout(area: Area, rng: np.random.Generator) -> pd.DataFrame:
    """The sites: ref, name, kind, components, status, is_pilot, dates, host, commune, point."""
    records: list[dict] = []
    covered: set[int] = set()
    per_commune: dict[int, int] = {}

    def add(pos: int, kind: str, start: dt.date | None, status: str, pilot: bool, host: str):
        commune = area.communes.iloc[pos]
        per_commune[pos] = per_commune.get(pos, 0) + 1
        lon, lat = area.random_points(np.array([pos]), rng)
        records.append(
            {
                "ref": f"MH-{area.province_code}-{len(records) + 1:04d}",
                "name": _name(kind, commune, per_commune[pos], rng),
                "kind": kind, "components": _components(kind, rng), "status": status,
                "is_pilot": pilot, "started_on": start, "status_on": None,
                "host_unit": host, "commune_pos": pos, "lon": lon[0], "lat": lat[0],
            }
        )  # fmt: skip
        if status != "planned":
            covered.add(pos)

    for seat in _pilot_communes(area).itertuples():
        start = _day(2020, rng, 3, 9)
        add(int(seat.commune_pos), "commune", start, "replicated", True, f"Công an {seat.district}")
        records[-1]["status_on"] = _day(2021, rng, 1, 6)  # pilot → replicated after a year
        records[-1]["components"] = [1, 2, 3, 4, 5]
    total = int(SITES_PER_COMMUNE * len(area.communes))
    for year, share in WAVES.items():
        for _ in range(round(total * share)):
            frontier = sorted({int(n) for c in covered for n in area.neighbours[c]} - covered)
            if frontier and rng.random() < NEIGHBOUR_SHARE:
                pos = frontier[int(rng.integers(len(frontier)))]
            elif covered and rng.random() < 0.5:
                pos = sorted(covered)[int(rng.integers(len(covered)))]  # a second site nearby
            else:
                pos = int(rng.integers(len(area.communes)))
            kind = KINDS[int(rng.choice(len(KINDS), p=KIND_SHARES))]
            commune = area.communes.iloc[pos]
            add(pos, kind, _day(year, rng), "replicated", False, f"Công an {commune['full_name']}")
    active = np.flatnonzero([r["status"] == "replicated" and not r["is_pilot"] for r in records])
    for i in rng.choice(active, size=max(1, len(active) // 25), replace=False):
        rec = records[int(i)]  # a few sites lapse a year or two later
        if rec["started_on"].year <= 2024:
            rec["status"], rec["status_on"] = "suspended", _day(rec["started_on"].year + 1, rng)
    for pos in rng.choice(len(area.communes), size=max(1, len(area.communes) // 10), replace=False):
        commune = area.communes.iloc[int(pos)]  # planned for next year
        add(int(pos), "village", None, "planned", False, f"Công an {commune['full_name']}")
        records[-1]["status_on"] = _day(2025, rng, 10, 12)
    return pd.DataFrame(records)
