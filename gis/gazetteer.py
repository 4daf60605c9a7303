"""The gazetteer: current units loaded in PostGIS plus pre-2025 units kept as their aliases.

Every name is indexed by its compact folded key ("Xã Ninh Hải" → "ninhhai"), together with
the package's known spellings and former names. Current communes carry a representative
point inside their polygon (ST_PointOnSurface, computed once per boundary version here);
pre-2025 communes carry their old centroid and the current communes the crosswalk names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.gazetteer_sources import (
    KIND_OF_TYPE,
    Boundaries,
    LoadedUnit,
    SourceUnit,
    kind_of,
    read_loaded,
    read_sources,
)
from gis.normalise import accent_key, compact, fold

CURRENT_PROVINCE, CURRENT_COMMUNE = "NP", "NC"
OLD_PROVINCE, OLD_DISTRICT, OLD_COMMUNE = "OP", "OD", "OC"
COMMUNE_LEVELS = (CURRENT_COMMUNE, OLD_COMMUNE)
PROVINCE_LEVELS = (CURRENT_PROVINCE, OLD_PROVINCE)

# Type words written in front of names, folded and glued, longest first.
_TYPE_PREFIXES = (
    "thanhpho", "thitran", "dackhu", "phuong", "huyen", "tinh", "quan", "thixa",
    "xa", "tp", "tx", "tt",
)  # fmt: skip
# Common ways of writing a province that the package does not list.
EXTRA_PROVINCE_NAMES = {
    "79": ("hcm", "hcmc", "saigon", "sg", "tphcm"),
    "01": ("hn", "hanoi"),
    "46": ("thuathienhue", "tthue"),
    "48": ("dng",),
}
_NON_WORD = re.compile(r"[\W_]+")
SHORT_KEY_LEN = 3  # keys this short need a type word or a whole part of the address


class Unit:
    """A current or pre-2025 unit in the gazetteer."""

    # Slots when run as Python; compiled, the fields of the .pxd.
    __slots__ = (
        "accent", "accent_compact", "code", "full_name", "key", "keywords", "kind", "lat",
        "level", "loaded", "lon", "name", "parent", "province_code", "successors", "uid"
    )  # fmt: skip

    def __init__(
        self, uid: int, level: str, name: str, full_name: str, kind: str, code: str | None,
        parent: int | None, successors: tuple[str, ...], province_code: str | None,
        lon: float | None, lat: float | None, loaded: bool = False,
        keywords: tuple[str, ...] = (),
    ) -> None:  # fmt: skip
        self.uid = uid
        self.level = level
        self.name = name
        self.full_name = full_name
        self.kind = kind
        self.code = code
        self.parent = parent
        self.successors = successors
        self.province_code = province_code
        self.lon = lon
        self.lat = lat
        self.loaded = loaded
        self.accent = ""  # set with the index (Gazetteer._index)
        self.accent_compact = ""  # accented key without spaces or punctuation
        self.key = ""
        self.keywords = keywords  # the package's folded spellings, typed or not

    def __repr__(self) -> str:
        return f"Unit({self.uid}, {self.level!r}, {self.full_name!r}, code={self.code!r})"

    @property
    def label(self) -> str:
        return self.full_name


def source_units() -> list[Unit]:
    """The package's current and pre-2025 units, fresh (a gazetteer changes its own)."""
    return _units_from_sources(read_sources())


@dataclass
class Gazetteer:
    """Names → units, the hierarchy and the points; built by `Gazetteer.from_engine`."""

    units: list[Unit]
    boundary_version: int
    names: dict[str, list[int]] = field(default_factory=dict)  # compact key → unit ids
    short_names: dict[str, list[int]] = field(default_factory=dict)  # need a type word
    commune_by_code: dict[str, int] = field(default_factory=dict)
    province_by_code: dict[str, int] = field(default_factory=dict)
    # Old commune id → current commune code whose polygon holds the old centroid.
    legacy_inside: dict[int, str] = field(default_factory=dict)
    # How many communes (current and pre-2025) share a compact name, nationally.
    name_counts: dict[str, int] = field(default_factory=dict)
    max_words: int = 6
    _initials: set[str] = field(default_factory=set)
    read: Boundaries | None = None  # what it read from PostGIS

    @classmethod
    def from_engine(cls, engine: Engine) -> Gazetteer:
        """Join the package's units to what is loaded in PostGIS (one pass, a few queries)."""
        version, loaded = read_loaded(engine)
        gazetteer = cls._joined(source_units(), version, loaded)
        gazetteer._legacy_points(engine)
        gazetteer.read = Boundaries(version, loaded, gazetteer.legacy_inside)
        return gazetteer

    @classmethod
    def from_boundaries(cls, units: list[Unit], read: Boundaries) -> Gazetteer:
        """The gazetteer another process read from PostGIS (its ``read``), built here from
        fresh `source_units` without asking the database again."""
        gazetteer = cls._joined(units, read.version, read.loaded)
        gazetteer.legacy_inside = dict(read.legacy_inside)
        gazetteer.read = read
        return gazetteer

    @classmethod
    def _joined(cls, units: list[Unit], version: int, loaded: list[LoadedUnit]) -> Gazetteer:
        gazetteer = cls(units, version)
        gazetteer._overlay_loaded(loaded)
        gazetteer._index()
        return gazetteer

    # -- building ---------------------------------------------------------------------------
    def _overlay_loaded(self, rows) -> None:
        """Loaded units replace the package's: their codes, names and points are the truth."""
        by_level_code = {(u.level, u.code): u for u in self.units}
        by_name = {
            (u.province_code, compact(u.name)): u for u in self.units if u.level == CURRENT_COMMUNE
        }
        loaded_provinces = {r.parent_code for r in rows if r.level == "commune"}
        renamed: dict[str, str] = {}  # package code → loaded code
        for r in rows:
            level = CURRENT_PROVINCE if r.level == "province" else CURRENT_COMMUNE
            unit = by_level_code.get((level, r.code))
            if unit is None and level == CURRENT_COMMUNE:
                unit = by_name.get((r.parent_code, compact(r.name)))
                if unit is not None:
                    renamed[unit.code] = r.code
            if unit is None:
                parent = by_level_code.get((CURRENT_PROVINCE, r.parent_code))
                unit = Unit(
                    len(self.units), level, r.name, r.full_name,
                    KIND_OF_TYPE.get(r.unit_type or "", ""), r.code,
                    parent.uid if parent else None, (),
                    r.parent_code if level == CURRENT_COMMUNE else r.code, None, None,
                )  # fmt: skip
                self.units.append(unit)
            unit.code, unit.name, unit.full_name = r.code, r.name, r.full_name
            unit.kind = kind_of(r.full_name) or unit.kind
            unit.lon, unit.lat, unit.loaded = r.lon, r.lat, True
        for unit in self.units:
            if unit.level == CURRENT_COMMUNE and not unit.loaded:
                # A province with loaded communes is described by them alone; the package's
                # point is only a hint for the others (never used as a result).
                unit.lon = unit.lat = None
                if unit.province_code in loaded_provinces:
                    unit.level = "gone"  # not in the loaded boundaries: not a current commune
            if renamed and unit.successors and unit.level in (OLD_COMMUNE, OLD_DISTRICT):
                unit.successors = tuple(renamed.get(c, c) for c in unit.successors)

    def _index(self) -> None:
        self._province_initials()
        for unit in self.units:
            if unit.level == "gone":
                continue
            unit.accent = accent_key(unit.name)
            unit.accent_compact = _NON_WORD.sub("", unit.accent)
            unit.key = compact(unit.name)
            if unit.level == CURRENT_COMMUNE:
                self.commune_by_code[unit.code] = unit.uid
            elif unit.level == CURRENT_PROVINCE:
                self.province_by_code[unit.code] = unit.uid
            for key in self._keys(unit):
                target = (
                    self.short_names if len(key) <= SHORT_KEY_LEN or key.isdigit() else (self.names)
                )
                ids = target.setdefault(key, [])
                if unit.uid not in ids:
                    ids.append(unit.uid)
                if unit.level in COMMUNE_LEVELS and key == unit.key:
                    self.name_counts[key] = self.name_counts.get(key, 0) + 1

    def _province_initials(self) -> None:
        """'nb' for Ninh Bình, 'brvt' for Bà Rịa - Vũng Tàu: kept only when unambiguous."""
        names_of: dict[str, set[str]] = {}
        for unit in self.units:
            if unit.level in PROVINCE_LEVELS:
                words = fold(unit.name).replace("-", " ").split()
                names_of.setdefault("".join(w[0] for w in words), set()).add(unit.name)
        self._initials = {k for k, names in names_of.items() if len(names) == 1 and len(k) > 1}

    def _keys(self, unit: Unit) -> set[str]:
        keys = {unit.key}
        for keyword in unit.keywords:
            keys.add(keyword if keyword == unit.key else _strip_type(keyword))
        if unit.level in PROVINCE_LEVELS:
            words = fold(unit.name).replace("-", " ").split()
            initials = "".join(w[0] for w in words)
            if initials in self._initials:
                keys.add(initials)
        if unit.level == CURRENT_PROVINCE:
            keys.update(EXTRA_PROVINCE_NAMES.get(unit.code, ()))
        if unit.level == OLD_PROVINCE:
            for code in unit.successors:
                if len(unit.successors) == 1 and code in EXTRA_PROVINCE_NAMES:
                    keys.update(EXTRA_PROVINCE_NAMES[code])
        keys.discard("")
        return keys

    def _legacy_points(self, engine: Engine) -> None:
        """Which current commune holds each old centroid (among those the crosswalk names)."""
        olds = [
            (u.uid, code, u.lon, u.lat)
            for u in self.units
            if u.level == OLD_COMMUNE and u.lon is not None
            for code in u.successors
            if (c := self.commune_by_code.get(code)) is not None and self.units[c].loaded
        ]
        if not olds:
            return
        ids, codes, lons, lats = (list(x) for x in zip(*olds, strict=True))
        sql = sa.text(
            """
            SELECT t.uid, t.code FROM unnest(CAST(:ids AS int[]), CAST(:codes AS text[]),
                   CAST(:lons AS float8[]), CAST(:lats AS float8[])) AS t(uid, code, lon, lat)
              JOIN admin_unit a ON a.code = t.code
             WHERE ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326))
            """
        )
        with engine.connect() as conn:
            for uid, code in conn.execute(
                sql, {"ids": ids, "codes": codes, "lons": lons, "lats": lats}
            ):
                self.legacy_inside[uid] = code

    # -- queries ----------------------------------------------------------------------------
    def lookup(self, key: str, short: bool = False) -> list[int]:
        """Unit ids whose name has this compact key (short keys only when allowed)."""
        found = self.names.get(key)
        if found is None and short:
            found = self.short_names.get(key)
        return found or []

    def commune(self, code: str) -> Unit | None:
        """The current commune with this code."""
        uid = self.commune_by_code.get(code)
        return self.units[uid] if uid is not None else None

    def province(self, code: str | None) -> Unit | None:
        """The current province with this code."""
        uid = self.province_by_code.get(code) if code else None
        return self.units[uid] if uid is not None else None

    def parent(self, unit: Unit) -> Unit | None:
        return self.units[unit.parent] if unit.parent is not None else None

    def legacy_label(self, unit: Unit) -> str:
        """'Xã Ninh Hải, Thành phố Hoa Lư, Tỉnh Ninh Bình' for a pre-2025 unit."""
        parts = [unit.full_name]
        parent = self.parent(unit)
        while parent is not None:
            parts.append(parent.full_name)
            parent = self.parent(parent)
        return ", ".join(parts)


def _strip_type(keyword: str) -> str:
    for prefix in _TYPE_PREFIXES:
        if keyword.startswith(prefix) and len(keyword) > len(prefix):
            return keyword[len(prefix) :]
        if keyword.endswith(prefix) and len(keyword) > len(prefix) + 2:
            return keyword[: -len(prefix)]
    return keyword


def _units_from_sources(sources: tuple[SourceUnit, ...]) -> list[Unit]:
    units: list[Unit] = []
    uid_of_key: dict[tuple[str, str], int] = {}
    for s in sources:
        uid_of_key[(s.level, s.key)] = len(units)
        parent_level = {"NC": "NP", "OD": "OP", "OC": "OD"}.get(s.level)
        parent = uid_of_key.get((parent_level, s.parent_key)) if parent_level else None
        units.append(
            Unit(
                len(units), s.level, s.name, s.full_name, s.kind, s.code, parent,
                s.successors, s.province_code, s.lon, s.lat, keywords=tuple(s.keywords),
            )
        )  # fmt: skip
    return units
