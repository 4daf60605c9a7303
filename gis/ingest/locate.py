"""Where each row is: its commune by point-in-polygon, or by geocoding its address.

Coordinates are checked against Vietnam's extent (and for swapped columns), then given
their commune by an in-memory point-in-polygon over the loaded communes. Rows without
coordinates are geocoded (gis.geocoding); rows with both are geocoded too, and flagged when
the address names another commune than the one the point lies in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from gis.commune_index import CommuneIndex
from gis.coordinates import LAT_RANGE, LON_RANGE

SWAPPED = (
    "vĩ độ và kinh độ bị đảo / latitude and longitude look swapped ({lat}, {lon}): "
    "latitude is 6–24 °N and longitude 102–118 °E in Vietnam — swap the two columns"
)
OUTSIDE = (
    "tọa độ ngoài Việt Nam / ({lat}, {lon}) lies outside Vietnam "
    "(latitude 6–24 °N, longitude 102–118 °E): check the numbers and their sign"
)
NO_COMMUNE = (
    "không xã nào đã nạp chứa điểm / no loaded commune holds ({lat}, {lon}): at sea, or in a "
    "province whose boundaries are not loaded (tuquan boundaries fetch --province CODE)"
)


def in_extent(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where (lon, lat) lies within Vietnam's extent."""
    return (
        (lat >= LAT_RANGE[0])
        & (lat <= LAT_RANGE[1])
        & (lon >= LON_RANGE[0])
        & (lon <= LON_RANGE[1])
    )


def check_extent(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Per row: None (fine or no coordinates), or why the coordinates are unusable."""
    messages = np.full(len(lon), None, dtype=object)
    given = ~(np.isnan(lon) | np.isnan(lat))
    fits = in_extent(lon, lat)
    swapped = given & ~fits & in_extent(lat, lon)
    outside = given & ~fits & ~swapped
    for mask, template in ((swapped, SWAPPED), (outside, OUTSIDE)):
        for i in np.flatnonzero(mask):
            messages[i] = template.format(lat=lat[i], lon=lon[i])
    return messages


@dataclass
class Located:
    """Where the rows of a chunk are (arrays aligned with the chunk)."""

    lon: np.ndarray
    lat: np.ndarray
    commune_code: np.ndarray  # object: code or None
    province_code: np.ndarray
    precision: np.ndarray
    score: np.ndarray
    address_commune_code: np.ndarray  # commune named by the address (rows with both)
    errors: np.ndarray  # object: message or None (the row cannot be placed)
    warnings: np.ndarray  # object: message or None (placed, but flagged)


class Locator:
    """Places rows with the loaded communes; the geocoder is loaded on first need."""

    def __init__(self, engine: Engine, index: CommuneIndex | None = None) -> None:
        self.engine = engine
        self.index = index or CommuneIndex.from_engine(engine)
        self._geocoder = None

    @property
    def geocoder(self):
        if self._geocoder is None:
            from gis.geocoding import Geocoder

            self._geocoder = Geocoder.from_engine(self.engine)
        return self._geocoder

    def locate(self, lon: np.ndarray, lat: np.ndarray, address: pd.Series | None) -> Located:
        """Place every row: coordinates first, else the address."""
        n = len(lon)
        out = Located(
            lon=lon.copy(), lat=lat.copy(),
            commune_code=np.full(n, None, dtype=object),
            province_code=np.full(n, None, dtype=object),
            precision=np.full(n, None, dtype=object), score=np.zeros(n),
            address_commune_code=np.full(n, None, dtype=object),
            errors=check_extent(lon, lat), warnings=np.full(n, None, dtype=object),
        )  # fmt: skip
        has_point = ~(np.isnan(lon) | np.isnan(lat)) & (out.errors == None)  # noqa: E711
        rows = np.flatnonzero(has_point)
        pos = self.index.lookup(lon[rows], lat[rows])
        hit, miss = rows[pos >= 0], rows[pos < 0]
        out.commune_code[hit] = self.index.codes[pos[pos >= 0]]
        out.province_code[hit] = self.index.province_codes[pos[pos >= 0]]
        out.precision[hit], out.score[hit] = "coordinates", 1.0
        for i in miss:
            out.errors[i] = NO_COMMUNE.format(lat=lat[i], lon=lon[i])
        has_address = np.zeros(n, dtype=bool)
        if address is not None:
            has_address = (address.astype(str).str.strip() != "").to_numpy()
        given = ~(np.isnan(lon) | np.isnan(lat))
        self._geocode(out, address, np.flatnonzero(has_address & ~given))
        self._check_address(out, address, np.flatnonzero(has_address & has_point))
        return out

    def _results(self, address: pd.Series, rows: np.ndarray) -> list:
        texts = address.iloc[rows].astype(str).tolist()
        return self.geocoder.geocode_many(texts)

    def _geocode(self, out: Located, address: pd.Series, rows: np.ndarray) -> None:
        if not len(rows):
            return
        for i, r in zip(rows, self._results(address, rows), strict=True):
            if r.status == "matched" and r.commune_code and r.lon is not None:
                out.lon[i], out.lat[i] = r.lon, r.lat
                out.commune_code[i], out.province_code[i] = r.commune_code, r.province_code
                out.precision[i], out.score[i] = r.precision, r.score
            elif r.status == "matched":
                out.errors[i] = (
                    "địa chỉ chỉ xác định được tỉnh / the address names only a province: "
                    "add the commune (xã/phường) or coordinates"
                )
            else:
                out.errors[i] = _geocode_message(r)

    def _check_address(self, out: Located, address: pd.Series, rows: np.ndarray) -> None:
        if not len(rows):
            return
        for i, r in zip(rows, self._results(address, rows), strict=True):
            if r.status == "matched" and r.commune_code:
                out.address_commune_code[i] = r.commune_code
                if r.commune_code != out.commune_code[i]:
                    out.warnings[i] = (
                        f"tọa độ và địa chỉ không khớp / the point lies in commune "
                        f"{out.commune_code[i]} but the address names {r.commune_name or ''} "
                        f"({r.commune_code}): check one of them"
                    )
            else:
                out.warnings[i] = "địa chỉ không kiểm tra được / address not checked: " + (
                    _geocode_message(r)
                )


def _geocode_message(result) -> str:
    labels = {
        "unmatched": "không tìm thấy địa chỉ / address not found",
        "ambiguous": "địa chỉ mơ hồ / ambiguous address",
        "invalid": "địa chỉ không hợp lệ / invalid address",
    }
    message = labels.get(result.status, result.status)
    if result.status == "ambiguous" and result.candidates:
        names = ", ".join(f"{c.commune_name} ({c.commune_code})" for c in result.candidates[:3])
        message += f" — could be {names}"
    if result.reason:
        message += f": {result.reason}"
    return message + "; add the commune (xã/phường) and province, or coordinates"
