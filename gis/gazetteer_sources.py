"""Unit names from the `vietnamadminunits` package (MIT): current and pre-2025 units, crosswalk.

The package ships a SQLite table of the 3,321 current communes, one of the 10,040 pre-2025
communes (with districts, provinces and centroids) and the official old → new crosswalk.
This module reads them once per process into plain records; `gis.gazetteer` joins them to
what is loaded in PostGIS (`read_loaded`).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.boundaries import boundary_version

# Folded unit types, as written in addresses, to the levels they may name.
PROVINCE_KINDS = ("tinh", "thanhpho")
DISTRICT_KINDS = ("huyen", "quan", "thixa", "thanhpho")
COMMUNE_KINDS = ("xa", "phuong", "thitran", "dackhu")
KIND_OF_TYPE = {
    "Tỉnh": "tinh", "Thành phố": "thanhpho", "Huyện": "huyen", "Quận": "quan",
    "Thị xã": "thixa", "Xã": "xa", "Phường": "phuong", "Thị trấn": "thitran",
    "Đặc khu": "dackhu",
}  # fmt: skip


@dataclass
class SourceUnit:
    """One unit as the package describes it."""

    key: str  # the package's own key (provinceKey, province_district, province_district_ward)
    level: str  # NP, NC (current) or OP, OD, OC (pre-2025)
    name: str  # short name, NFC ("Gia Viễn")
    full_name: str  # with its type ("Xã Gia Viễn")
    kind: str  # folded type (xa, phuong, huyen, ...)
    code: str | None  # official code
    parent_key: str | None
    keywords: list[str] = field(default_factory=list)  # the package's folded spellings
    lon: float | None = None
    lat: float | None = None
    successors: tuple[str, ...] = ()  # current commune codes (OC, OD) or province codes (OP)
    province_code: str | None = None  # current province code of a current unit


def _short(full_name: str, type_name: str | None) -> str:
    if type_name and full_name.startswith(type_name + " "):
        return full_name[len(type_name) + 1 :]
    return full_name


def kind_of(full_name: str) -> str:
    """Folded type of a full unit name ('Xã Gia Viễn' → 'xa'); '' when none."""
    for type_name in sorted(KIND_OF_TYPE, key=len, reverse=True):
        if full_name.startswith(type_name + " "):
            return KIND_OF_TYPE[type_name]
    return ""


@functools.cache
def package_data_dir() -> Path:
    """The package's data folder, found without importing it (its import is slow)."""
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("vietnamadminunits is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _connect() -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{package_data_dir() / 'dataset.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def _keywords(value: str | None) -> list[str]:
    return json.loads(value) if value else []


@functools.cache
def read_sources() -> tuple[SourceUnit, ...]:
    """All current and pre-2025 units of the package, with the crosswalk applied."""
    conn = _connect()
    try:
        current = conn.execute("SELECT * FROM admin_units ORDER BY wardCode").fetchall()
        legacy = conn.execute(
            "SELECT * FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode"
        ).fetchall()
    finally:
        conn.close()
    crosswalk_path = package_data_dir() / "converter_2025.json"
    crosswalk = json.loads(crosswalk_path.read_text(encoding="utf-8"))
    units: list[SourceUnit] = []
    new_ward_code: dict[tuple[str, str], str] = {}
    new_province_code: dict[str, str] = {}
    for r in current:
        if r["provinceKey"] not in new_province_code:
            new_province_code[r["provinceKey"]] = r["provinceCode"]
            units.append(
                SourceUnit(
                    key=r["provinceKey"], level="NP", name=r["provinceShort"],
                    full_name=r["province"], kind=kind_of(r["province"]),
                    code=r["provinceCode"], parent_key=None,
                    keywords=_keywords(r["provinceKeywords"]),
                    lon=r["provinceLon"], lat=r["provinceLat"], province_code=r["provinceCode"],
                )
            )  # fmt: skip
        new_ward_code[(r["provinceKey"], r["wardKey"])] = r["wardCode"]
        units.append(
            SourceUnit(
                key=f"{r['provinceKey']}_{r['wardKey']}", level="NC",
                name=_short(r["ward"], r["wardType"]), full_name=r["ward"],
                kind=KIND_OF_TYPE.get(r["wardType"], ""), code=r["wardCode"],
                parent_key=r["provinceKey"], keywords=_keywords(r["wardKeywords"]),
                lon=r["wardLon"], lat=r["wardLat"], province_code=r["provinceCode"],
            )
        )  # fmt: skip

    successors: dict[str, list[str]] = {}
    for new_province, wards in crosswalk["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, old_keys in wards.items():
            code = new_ward_code[(new_province, new_ward)]
            for old_key in old_keys:
                successors.setdefault(old_key, []).append(code)
    for new_province, olds in crosswalk["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, targets in olds.items():
            for t in targets:
                code = new_ward_code[(new_province, t["newWardKey"])]
                if code not in successors.setdefault(old_key, []):
                    successors[old_key].append(code)
    province_successors: dict[str, list[str]] = {}
    for new_province, old_provinces in crosswalk["DICT_PROVINCE"].items():
        for old in old_provinces:
            province_successors.setdefault(old, []).append(new_province_code[new_province])

    seen: set[str] = set()
    district_successors: dict[str, list[str]] = {}
    for r in legacy:
        pkey, dkey, wkey = r["provinceKey"], r["districtKey"], r["wardKey"]
        district = f"{pkey}_{dkey}"
        if pkey not in seen:
            seen.add(pkey)
            units.append(
                SourceUnit(
                    key=pkey, level="OP", name=r["provinceShort"], full_name=r["province"],
                    kind=kind_of(r["province"]), code=r["provinceCode"], parent_key=None,
                    keywords=_keywords(r["provinceKeywords"]),
                    lon=r["provinceLon"], lat=r["provinceLat"],
                    successors=tuple(province_successors.get(pkey, ())),
                )
            )  # fmt: skip
        if district not in seen:
            seen.add(district)
            units.append(
                SourceUnit(
                    key=district, level="OD", name=_short(r["district"], r["districtType"]),
                    full_name=r["district"], kind=KIND_OF_TYPE.get(r["districtType"], ""),
                    code=r["districtCode"], parent_key=pkey,
                    keywords=_keywords(r["districtKeywords"]),
                    lon=r["districtLon"], lat=r["districtLat"],
                )
            )  # fmt: skip
        ward_codes = successors.get(f"{district}_{wkey or ''}", [])
        district_successors.setdefault(district, [])
        for code in ward_codes:
            if code not in district_successors[district]:
                district_successors[district].append(code)
        if not wkey:
            continue  # island districts without communes (Bạch Long Vĩ, Cồn Cỏ, …)
        units.append(
            SourceUnit(
                key=f"{district}_{wkey}", level="OC", name=_short(r["ward"], r["wardType"]),
                full_name=r["ward"], kind=KIND_OF_TYPE.get(r["wardType"], ""),
                code=r["wardCode"], parent_key=district,
                keywords=_keywords(r["wardKeywords"]),
                lon=r["wardLon"], lat=r["wardLat"], successors=tuple(ward_codes),
            )
        )  # fmt: skip
    for unit in units:
        if unit.level == "OD":
            unit.successors = tuple(district_successors.get(unit.key, ()))
    return tuple(units)


@functools.cache
def legacy_ward_boxes() -> tuple[tuple[float, float, float, float], ...]:
    """(west, south, east, north) of every pre-2025 commune and district: land territory."""
    conn = _connect()
    try:
        rows = conn.execute(
            "SELECT wardBounds FROM admin_units_legacy WHERE wardBounds IS NOT NULL "
            "UNION SELECT districtBounds FROM admin_units_legacy"
        ).fetchall()
    finally:
        conn.close()
    boxes = []
    for (text,) in rows:
        try:
            south_west, north_east = text.split("–")
            s, w = (float(v) for v in south_west.split(","))
            n, e = (float(v) for v in north_east.split(","))
        except ValueError:
            continue
        boxes.append((min(w, e), min(s, n), max(w, e), max(s, n)))
    return tuple(boxes)


class LoadedUnit(NamedTuple):
    """A unit loaded in PostGIS, as the gazetteer reads it."""

    code: str
    level: str
    parent_code: str | None
    name: str
    full_name: str | None
    unit_type: str | None
    lon: float
    lat: float


class Boundaries(NamedTuple):
    """All a gazetteer reads from PostGIS: the boundary version, the loaded units, and
    which loaded commune holds each old centroid (old commune id → commune code)."""

    version: int
    loaded: list[LoadedUnit]
    legacy_inside: dict[int, str]


def read_loaded(engine: Engine) -> tuple[int, list[LoadedUnit]]:
    """The boundary version and the units loaded in PostGIS, each with a point inside it."""
    version = boundary_version(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT code, level, parent_code, name, full_name, unit_type, "
                "ST_X(p) AS lon, ST_Y(p) AS lat FROM admin_unit, "
                "LATERAL ST_PointOnSurface(geom) AS p ORDER BY level DESC, code"
            )
        )
        return version, [LoadedUnit(*row) for row in rows]
