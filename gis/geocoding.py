"""The offline geocoder: addresses and coordinates → a loaded current commune and a point.

    geocoder = Geocoder.from_engine(engine)
    geocoder.geocode("thôn 3, xã Ninh Hải, huyện Hoa Lư, tỉnh Ninh Bình")
    geocoder.geocode_many(texts)          # same order; deduplicated; cached in PostGIS
    geocoder.locate(105.97, 20.25)        # point-in-polygon in PostGIS

Every input gets exactly one `GeocodeResult`; nothing raises for bad input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis import geocode_cache
from gis.address_match import MentionFinder
from gis.address_resolve import FETCH_HINT, Resolver
from gis.boundaries import boundary_version
from gis.commune_index import CommuneIndex
from gis.coordinates import ParsedPoint, archipelago, in_territory, parse_point
from gis.gazetteer import OLD_COMMUNE, Gazetteer
from gis.geocode_result import Candidate, GeocodeResult, invalid, unmatched
from gis.normalise import MAX_INPUT_CHARS, cache_key, segments
from gis.progress import NoProgress, Progress

__all__ = ["Candidate", "GeocodeResult", "Geocoder"]

_ALNUM = re.compile(r"[^\W_]")
CONFIDENT = 0.85  # an exact-match answer this good skips the fuzzy pass


class Geocoder:
    """Geocodes with the gazetteer of one database; reloads it when boundaries change."""

    def __init__(self, engine: Engine, gazetteer: Gazetteer, refiner=None) -> None:
        self.engine = engine
        self.refiner = refiner  # gis.geocode_online.OnlineRefiner, or None (offline)
        self._use(gazetteer)

    @classmethod
    def from_engine(cls, engine: Engine, refiner=None) -> Geocoder:
        """Load the gazetteer once (PostGIS units + pre-2025 units + crosswalk) and the
        in-memory commune polygons for batches of coordinates."""
        geocoder = cls(engine, Gazetteer.from_engine(engine), refiner)
        geocoder._index = CommuneIndex.from_engine(engine)
        return geocoder

    def _use(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.finder = MentionFinder(gazetteer)
        self.resolver = Resolver(gazetteer)
        self._index: CommuneIndex | None = None
        self._old_points = None

    def refresh(self) -> bool:
        """Reload the gazetteer if boundaries were (re)loaded since; True when reloaded."""
        if boundary_version(self.engine) == self.gazetteer.boundary_version:
            return False
        self._use(Gazetteer.from_engine(self.engine))
        return True

    @property
    def mode(self) -> str:
        return "online" if self.refiner is not None else "offline"

    # -- public -----------------------------------------------------------------------------
    def geocode(self, text: str) -> GeocodeResult:
        """One input → one result (uses the cache like `geocode_many`)."""
        return self.geocode_many([text])[0]

    def geocode_many(
        self, texts: Sequence[str], progress: Progress | None = None, use_cache: bool = True
    ) -> list[GeocodeResult]:
        """Results in input order; each distinct normalised text is resolved once."""
        progress = progress or NoProgress()
        self.refresh()
        version = self.gazetteer.boundary_version
        keys: list[str | None] = []
        early: dict[int, GeocodeResult] = {}
        first_text: dict[str, str] = {}
        for i, text in enumerate(texts):
            problem = _unusable(text)
            if problem:
                early[i] = invalid(_as_text(text), problem)
                keys.append(None)
                continue
            key = cache_key(text)
            keys.append(key)
            first_text.setdefault(key, text)
        cached = (
            geocode_cache.fetch(self.engine, list(first_text), version, self.mode)
            if use_cache
            else {}
        )
        todo = [k for k in first_text if k not in cached]
        advance = progress.task("Mã hóa địa chỉ / geocoding", len(first_text))
        advance(len(first_text) - len(todo))
        fresh = self._resolve(todo, first_text, advance)
        if self.refiner is not None:
            fresh = self.refiner.refine_many(fresh, self)
        if use_cache:
            geocode_cache.store(self.engine, fresh, version, self.mode)
        by_key = {**cached, **fresh}
        return [
            early[i] if key is None else by_key[key].for_text(_as_text(texts[i]))
            for i, key in enumerate(keys)
        ]

    def locate(self, lon: float, lat: float) -> GeocodeResult:
        """The loaded commune holding (lon, lat), by point-in-polygon in PostGIS."""
        text = f"{lat}, {lon}"
        problem = self._outside(lon, lat)
        if problem:
            return invalid(text, problem)
        with self.engine.connect() as conn:
            code = conn.scalar(
                sa.text(
                    "SELECT code FROM admin_unit WHERE level = 'commune' AND ST_Intersects("
                    "geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) ORDER BY code LIMIT 1"
                ),
                {"lon": lon, "lat": lat},
            )
        return self._at_point(text, lon, lat, code)

    # -- inside -----------------------------------------------------------------------------
    def _resolve(self, keys: list[str], first_text: dict[str, str], advance) -> dict:
        results: dict[str, GeocodeResult] = {}
        points: list[tuple[str, ParsedPoint]] = []
        for key in keys:
            text = first_text[key]
            point = parse_point(text)
            if point is not None:
                points.append((key, point))
                continue
            results[key] = self._address(text)
            advance(1)
        if points:
            results.update(self._points(points, first_text))
            advance(len(points))
        return results

    def _address(self, text: str) -> GeocodeResult:
        parts = segments(text)
        if not parts:
            return invalid(text, "không có chữ / no words in the input")
        accented = any(f != a for part in parts for f, a in part)
        mentions = self.finder.exact(parts, accented)
        result = self.resolver.result(text, mentions, accented)
        if result.status == "matched" and result.score >= CONFIDENT:
            return result
        g = self.gazetteer
        provinces = {
            code
            for m in mentions
            if m.kind or m.whole
            for u in m.uids
            if g.units[u].level in ("NP", "OP")
            for code in ((g.units[u].code,) if g.units[u].level == "NP" else g.units[u].successors)
        }
        extra = self.finder.fuzzy(parts, mentions, provinces)
        if not extra:
            return result
        fuzzy = self.resolver.result(text, mentions + extra, accented)
        if fuzzy.status == "matched" and (result.status != "matched" or fuzzy.score > result.score):
            return fuzzy
        if result.status == "unmatched" and fuzzy.status == "ambiguous":
            return fuzzy
        return result

    def _points(self, points: list[tuple[str, ParsedPoint]], first_text: dict) -> dict:
        out: dict[str, GeocodeResult] = {}
        usable = []
        for key, p in points:
            text = first_text[key]
            if p.error:
                out[key] = invalid(text, f"tọa độ ngoài Việt Nam / {p.error}")
            else:
                usable.append((key, p))
        if not usable:
            return out
        lons = np.array([p.lon for _, p in usable])
        lats = np.array([p.lat for _, p in usable])
        if self._index is None:
            self._index = CommuneIndex.from_engine(self.engine)
        codes = self._index.commune_codes(lons, lats)
        inside = in_territory(lons, lats)
        for (key, p), code, ok in zip(usable, codes, inside, strict=True):
            text = first_text[key]
            if code is None and not ok:
                out[key] = invalid(text, self._outside(p.lon, p.lat) or "outside Vietnam")
            else:
                out[key] = self._at_point(text, p.lon, p.lat, code)
        return out

    def _outside(self, lon: float, lat: float) -> str | None:
        if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lat) > 90 or abs(lon) > 180:
            return f"({lat}, {lon}) không phải tọa độ / not valid coordinates"
        if in_territory(np.array([lon]), np.array([lat]))[0]:
            return None
        with self.engine.connect() as conn:
            inside = conn.scalar(
                sa.text(
                    "SELECT EXISTS (SELECT 1 FROM admin_unit WHERE level = 'commune' AND "
                    "ST_Intersects(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)))"
                ),
                {"lon": lon, "lat": lat},
            )
        if inside:
            return None
        return (
            f"tọa độ ngoài lãnh thổ Việt Nam / ({lat:.6f}, {lon:.6f}) lies outside Vietnam "
            "(check the order: latitude first, or the sign)"
        )

    def _at_point(self, text: str, lon: float, lat: float, code: str | None) -> GeocodeResult:
        g = self.gazetteer
        if code is not None:
            commune = g.commune(code)
            province = g.province(commune.province_code) if commune else None
            return GeocodeResult(
                text=text, status="matched", precision="coordinates", commune_code=code,
                commune_name=commune.full_name if commune else None,
                province_code=commune.province_code if commune else None,
                province_name=province.full_name if province else None,
                lon=lon, lat=lat, score=1.0,
            )  # fmt: skip
        where = archipelago(lon, lat)
        if where:
            reason = (
                f"({lat:.6f}, {lon:.6f}) thuộc vùng biển {where} / lies in the {where} "
                "archipelago, where no loaded commune polygon holds it"
            )
        else:
            code = self._province_near(lon, lat)
            province = g.province(code)
            reason = (
                f"không xã nào đã nạp chứa điểm ({lat:.6f}, {lon:.6f}) / no loaded commune "
                "holds this point"
            )
            if province is not None and not province.loaded:
                reason += (
                    f"; it lies in {province.full_name}, not loaded: run "
                    + FETCH_HINT.format(code=code)
                )
        return unmatched(text, reason, precision="coordinates", lon=lon, lat=lat)

    def _province_near(self, lon: float, lat: float) -> str | None:
        """Current province of the nearest pre-2025 commune centroid (for the reason)."""
        g = self.gazetteer
        if self._old_points is None:
            olds = [u for u in g.units if u.level == OLD_COMMUNE and u.successors and u.lon]
            xy = np.array([(u.lon, u.lat) for u in olds])
            self._old_points = (olds, xy)
        olds, xy = self._old_points
        nearest = olds[int(np.argmin((xy[:, 0] - lon) ** 2 + (xy[:, 1] - lat) ** 2))]
        commune = g.commune(nearest.successors[0])
        return commune.province_code if commune else None


def _as_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def _unusable(value) -> str | None:
    """Why an input cannot be an address at all, or None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "trống / empty input"
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return "không phải văn bản UTF-8 / not UTF-8 text"
    if not isinstance(value, str):
        return f"không phải văn bản / not text ({type(value).__name__})"
    if len(value) > MAX_INPUT_CHARS:
        return (
            f"quá dài / too long for an address ({len(value):,} characters; "
            f"at most {MAX_INPUT_CHARS:,})"
        )
    if not _ALNUM.search(value):
        return "trống / empty input (no letters or digits)"
    if value.isprintable():
        return None
    printable = sum(c.isprintable() or c in "\n\r\t" for c in value)
    if printable < 0.9 * len(value) or "\ufffd" in value:
        return "không phải văn bản / binary or garbled input"
    return None
