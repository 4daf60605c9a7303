"""Optional online refinement: a Nominatim-compatible search moves a commune-level point to
street level, only when the point it returns lies inside the commune already found.

Off by default (TUQUAN_GEOCODE_ONLINE_URL unset). Requests are rate-limited, time out, and
stop after a few consecutive failures; on any failure the offline result is kept as it is.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import httpx
import sqlalchemy as sa

from gis.geocode_result import GeocodeResult
from gis.settings import Settings

REFINABLE = ("commune", "legacy_commune")
MAX_CONSECUTIVE_FAILURES = 3  # then the service is taken as down for the rest of the batch


class OnlineRefiner:
    """Street-level points from a Nominatim-compatible `/search` endpoint."""

    def __init__(
        self,
        url: str,
        timeout_s: float = 5.0,
        min_interval_s: float = 1.0,
        max_requests: int = 1000,
        user_agent: str = "tuquan-geocoder",
    ) -> None:
        self.url = url.rstrip("/") + "/search"
        self.timeout_s = timeout_s
        self.min_interval_s = min_interval_s
        self.max_requests = max_requests
        self.user_agent = user_agent
        self.failures: list[str] = []  # what went wrong in the last batch (for reports/tests)
        self._last_request = -math.inf

    @classmethod
    def from_settings(cls, settings: Settings) -> OnlineRefiner:
        """The refiner the settings describe (the caller checks that a URL is set)."""
        return cls(
            settings.geocode_online_url,
            settings.geocode_online_timeout_s,
            settings.geocode_online_min_interval_s,
            settings.geocode_online_max_requests,
            settings.geocode_online_user_agent,
        )

    def refine_many(self, results: dict[str, GeocodeResult], geocoder) -> dict[str, GeocodeResult]:
        """Results with commune-level points refined where the service agrees; others as given."""
        self.failures = []
        wanted = [
            (key, r)
            for key, r in results.items()
            if r.status == "matched" and r.precision in REFINABLE
        ][: self.max_requests]
        if not wanted:
            return results
        found: list[tuple[str, float, float, str]] = []
        consecutive = 0
        with httpx.Client(
            timeout=self.timeout_s, headers={"User-Agent": self.user_agent}
        ) as client:
            for key, r in wanted:
                if consecutive >= MAX_CONSECUTIVE_FAILURES:
                    self.failures.append(f"{r.text!r}: skipped, the service is failing")
                    continue
                point = self._search(client, r.text)
                if point is None:
                    consecutive += 1
                    continue
                consecutive = 0
                found.append((key, point[0], point[1], r.commune_code))
        inside = _inside_commune(geocoder.engine, found)
        out = dict(results)
        for key, lon, lat, _ in found:
            if key in inside:
                out[key] = replace(results[key], lon=lon, lat=lat, precision="street")
            else:
                self.failures.append(f"{results[key].text!r}: the online point is outside")
        return out

    def _search(self, client: httpx.Client, text: str) -> tuple[float, float] | None:
        wait = self.min_interval_s - (time.monotonic() - self._last_request)
        if wait > 0:
            time.sleep(wait)
        self._last_request = time.monotonic()
        params = {"q": text, "format": "jsonv2", "limit": 1, "countrycodes": "vn"}
        try:
            response = client.get(self.url, params=params)
        except httpx.HTTPError as exc:
            self.failures.append(f"{text!r}: {exc.__class__.__name__}")
            return None
        if response.status_code != 200:
            self.failures.append(f"{text!r}: HTTP {response.status_code}")
            return None
        try:
            hits = response.json()
            lon, lat = float(hits[0]["lon"]), float(hits[0]["lat"])
        except (ValueError, KeyError, IndexError, TypeError):
            self.failures.append(f"{text!r}: no usable answer")
            return None
        if not (math.isfinite(lon) and math.isfinite(lat)):
            return None
        return lon, lat


def _inside_commune(engine, found: list[tuple[str, float, float, str]]) -> set[str]:
    """Keys whose online point lies inside the commune the offline result named (one query)."""
    if not found:
        return set()
    keys, lons, lats, codes = (list(x) for x in zip(*found, strict=True))
    sql = sa.text(
        """
        SELECT t.key FROM unnest(CAST(:keys AS text[]), CAST(:lons AS float8[]),
               CAST(:lats AS float8[]), CAST(:codes AS text[])) AS t(key, lon, lat, code)
          JOIN admin_unit a ON a.code = t.code
         WHERE ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326))
        """
    )
    with engine.connect() as conn:
        return set(
            conn.scalars(sql, {"keys": keys, "lons": lons, "lats": lats, "codes": codes}).all()
        )
