"""Geocoding of coordinates: points written in addresses, or given, → the loaded commune.

The Geocoder's point half (a mixin, like gis.address_fuzzy for the finder): a batch of
points is placed with the in-memory commune index; single points and the reasons for
points outside every loaded commune come from PostGIS.
"""

from __future__ import annotations

import math

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.boundary_fetch import fetch_hint
from gis.commune_index import CommuneIndex
from gis.coordinates import ParsedPoint, archipelago, in_territory
from gis.gazetteer import OLD_COMMUNE, Gazetteer
from gis.geocode_result import GeocodeResult, invalid, unmatched


class PointGeocoding:
    """Mixin of Geocoder: coordinates → commune (needs ``engine``, ``gazetteer``)."""

    engine: Engine
    gazetteer: Gazetteer
    _index: CommuneIndex | None
    _old_points: tuple | None

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
                reason += f"; it lies in {province.full_name}, not loaded: run " + fetch_hint(code)
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
