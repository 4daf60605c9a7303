"""Read boundary files (GeoJSON, GeoPackage, Shapefile via pyogrio) into checked unit rows.

Every problem is reported naming the file and the feature; invalid polygons are repaired
(and each repair reported); empty or non-polygon features are refused.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from gis.errors import InputError

# Generous box around Vietnam's territory, Hoàng Sa and Trường Sa included (lon, lat).
VIETNAM_BBOX = (100.0, 5.0, 118.5, 24.5)
UNIT_COLUMNS = ["code", "name", "full_name", "name_en", "unit_type", "parent_code"]


@dataclass
class FieldMap:
    """Which attribute of the file holds each unit property (None: not in the file)."""

    code: str = "code"
    name: str = "name"
    full_name: str | None = None
    name_en: str | None = None
    unit_type: str | None = None
    parent: str | None = None


@dataclass
class Repair:
    """One geometry repaired on load."""

    code: str
    reason: str
    area_change_pct: float

    def as_dict(self) -> dict:
        return {"code": self.code, "reason": self.reason, "area_change_pct": self.area_change_pct}


@dataclass
class UnitFrame:
    """Checked units (EPSG:4326, MultiPolygon) and the repairs made while reading them."""

    units: gpd.GeoDataFrame
    repairs: list[Repair] = field(default_factory=list)


def nfc(value: object) -> str | None:
    """Unicode NFC text with surrounding space removed; None for missing values."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = unicodedata.normalize("NFC", str(value)).strip()
    return text or None


def unit_type_from_full_name(full_name: str | None, name: str | None) -> str | None:
    """'Phường Phủ Lý', 'Phủ Lý' → 'Phường' (the official prefix in the full name)."""
    if not full_name or not name or not full_name.endswith(name):
        return None
    prefix = full_name[: -len(name)].strip()
    return prefix or None


def _read_frame(path: Path, crs: str | None) -> gpd.GeoDataFrame:
    # GDAL reads gzip-compressed files through its virtual file system.
    source = f"/vsigzip/{path.resolve()}" if path.suffix == ".gz" else path
    try:
        frame = pyogrio.read_dataframe(source)
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise InputError(
            f"{path.name}: not a readable GeoJSON, GeoPackage or Shapefile ({exc})",
            "check that the file is complete and in one of these formats",
        ) from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry is None:
        raise InputError(f"{path.name}: has no geometry column", "give a file of polygons")
    if crs:
        try:
            frame = frame.set_crs(CRS.from_user_input(crs), allow_override=True)
        except Exception:
            raise InputError(f"--crs {crs!r} is not a known CRS", "use e.g. EPSG:4326") from None
    if frame.crs is None:
        frame = frame.set_crs(4326)
    elif not frame.crs.equals(CRS.from_epsg(4326)):
        frame = frame.to_crs(4326)
    return frame


def _check_columns(path: Path, frame: gpd.GeoDataFrame, fields: FieldMap) -> None:
    wanted = {
        "--code-field": fields.code,
        "--name-field": fields.name,
        "--full-name-field": fields.full_name,
        "--name-en-field": fields.name_en,
        "--type-field": fields.unit_type,
        "--parent-field": fields.parent,
    }
    for option, column in wanted.items():
        if column and column not in frame.columns:
            present = ", ".join(c for c in frame.columns if c != frame.geometry.name)
            raise InputError(
                f"{path.name}: no attribute {column!r} (named by {option})",
                f"the file has: {present or 'no attributes'}; pass the right one with {option}",
            )


def _label(codes: pd.Series, index: int) -> str:
    code = codes.iloc[index]
    return f"feature #{index + 1}" + (f" (code {code})" if code else "")


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygonal parts of a geometry, as a MultiPolygon."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    polygons = [q for p in parts for q in shapely.get_parts(p)]
    return shapely.MultiPolygon(polygons) if polygons else shapely.MultiPolygon()


def _check_geometries(
    path: Path, frame: gpd.GeoDataFrame, codes: pd.Series
) -> tuple[list[shapely.MultiPolygon], list[Repair]]:
    repairs: list[Repair] = []
    geoms = frame.geometry.array
    fixed = []
    for i, geom in enumerate(geoms):
        label = _label(codes, i)
        if geom is None or geom.is_empty:
            raise InputError(f"{path.name}: {label} has no geometry", "remove it or fix it")
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputError(
                f"{path.name}: {label} is a {geom.geom_type}, not a polygon",
                "boundaries must be Polygon or MultiPolygon features",
            )
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            repaired = _polygonal(shapely.make_valid(geom))
            if repaired.is_empty:
                raise InputError(
                    f"{path.name}: {label} is invalid ({reason}) and cannot be repaired",
                    "fix the polygon in a GIS editor",
                )
            change = 100.0 * abs(repaired.area - geom.area) / geom.area if geom.area else 0.0
            repairs.append(Repair(codes.iloc[i] or label, reason, round(change, 4)))
            geom = repaired
        fixed.append(shapely.MultiPolygon([geom]) if geom.geom_type == "Polygon" else geom)
    minx, miny, maxx, maxy = shapely.total_bounds(fixed)
    west, south, east, north = VIETNAM_BBOX
    if minx < west or maxx > east or miny < south or maxy > north:
        raise InputError(
            f"{path.name}: coordinates fall outside Vietnam "
            f"(bbox {minx:.4g}, {miny:.4g}, {maxx:.4g}, {maxy:.4g})",
            "the file's CRS is missing or wrong: give it with --crs (e.g. --crs EPSG:32648)",
        )
    return fixed, repairs


def read_units(path: Path, fields: FieldMap, crs: str | None = None) -> UnitFrame:
    """Read, check and normalise one boundary file; raises InputError naming the problem."""
    if not path.exists():
        raise InputError(f"{path}: no such file", "check the path")
    frame = _read_frame(path, crs)
    if frame.empty:
        raise InputError(f"{path.name}: has no features", "give a file with boundaries in it")
    _check_columns(path, frame, fields)

    def column(name: str | None) -> pd.Series:
        values = frame[name] if name else pd.Series([None] * len(frame), index=frame.index)
        return values.map(nfc).astype(object)

    codes = column(fields.code)
    missing = codes.isna()
    if missing.any():
        raise InputError(
            f"{path.name}: {_label(codes, int(missing.to_numpy().nonzero()[0][0]))} "
            f"has no {fields.code!r}",
            f"every feature needs a unit code in {fields.code!r}",
        )
    dupes = codes[codes.duplicated()].unique()
    if len(dupes):
        raise InputError(
            f"{path.name}: code(s) {', '.join(map(str, dupes[:5]))} appear more than once",
            "each feature must be one unit with its own code",
        )
    names = column(fields.name)
    if names.isna().any():
        raise InputError(
            f"{path.name}: {_label(codes, int(names.isna().to_numpy().nonzero()[0][0]))} "
            f"has no {fields.name!r}",
            f"every feature needs a name in {fields.name!r}",
        )
    geoms, repairs = _check_geometries(path, frame, codes)
    full_names = column(fields.full_name).fillna(names)
    unit_types = column(fields.unit_type)
    derived = [unit_type_from_full_name(f, n) for f, n in zip(full_names, names, strict=True)]
    unit_types = unit_types.fillna(pd.Series(derived, index=frame.index, dtype=object))
    units = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": names,
            "full_name": full_names,
            "name_en": column(fields.name_en),
            "unit_type": unit_types,
            "parent_code": column(fields.parent),
        },
        geometry=geoms,
        crs=4326,
    )
    return UnitFrame(units.reset_index(drop=True), repairs)
