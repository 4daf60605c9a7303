"""Coordinates written as text: decimal degrees or DMS, either order, checked against Vietnam.

"20.25, 105.97", "105.97 20.25" (the order is told by Vietnam's extent: latitudes 6–24 °N,
longitudes 102–118 °E), "20°15'N 105°58'E", "N 20° 15.5' E 105° 58'". A point counts as in
Vietnam when it lies in a loaded commune, in the box of a pre-2025 commune (the package's
bounds: the land territory, a few km generous at the borders) or in the waters of the
Hoàng Sa and Trường Sa archipelagos.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import shapely

from gis.gazetteer_sources import legacy_ward_boxes

LAT_RANGE = (6.0, 24.0)  # Vietnam incl. Trường Sa, with margin
LON_RANGE = (102.0, 118.0)
# The archipelagos (west, south, east, north): no commune polygons of the islands exist.
ARCHIPELAGO_BOXES = {
    "Hoàng Sa": (110.9, 15.6, 113.0, 17.3),
    "Trường Sa": (111.3, 6.2, 116.0, 11.7),
}

_LABELS = re.compile(
    r"\b(?:lat(?:itude)?|lon(?:gitude)?|lng|long|v[ĩi] đ[ộo]|kinh đ[ộo]|t[ọo]a đ[ộo]|"
    r"toa do|vi do|kinh do|gps|coordinates?)\b|[:=()\[\]]",
    re.IGNORECASE,
)
_HAS_DIGIT = re.compile(r"\d")
# The letters a label can be written with, in any case: the closure of _LABELS' letters
# under IGNORECASE ("ſ" is an "s", "K" the Kelvin sign a "k"; tests recompute it). Text with
# another letter is no decimal pair, whatever _LABELS takes out: most addresses stop there.
LABEL_LETTERS = "ABCDEGHIKLNOPRSTUVabcdeghiklnoprstuvĐđĨĩİıſỌọỘộ\u212a"
_OTHER_LETTER = re.compile(f"[^\\W\\d_{LABEL_LETTERS}]")
_NUMBER = r"[-+]?\d{1,3}(?:[.]\d+)?"
_DECIMAL_PAIR = re.compile(rf"^\s*({_NUMBER})\s*[,;/\s]\s*({_NUMBER})\s*$")
_COMMA_DECIMAL_PAIR = re.compile(r"^\s*([-+]?\d{1,3},\d+)\s*[;/\s]\s*([-+]?\d{1,3},\d+)\s*$")
_DMS = re.compile(
    r"([NSEWBĐTnsewbđt])?\s*(\d{1,3}(?:[.,]\d+)?)\s*[°º˚d]\s*"
    r"(?:(\d{1,2}(?:[.,]\d+)?)\s*['′’m]\s*)?"
    r"(?:(\d{1,2}(?:[.,]\d+)?)\s*(?:\"|″|''|’’|s)\s*)?([NSEWBĐTnsewbđt])?"
)
# Vietnamese hemisphere letters: Bắc (N), Nam (S), Đông (E), Tây (W).
_HEMISPHERE = {"n": "N", "b": "N", "s": "S", "e": "E", "đ": "E", "w": "W", "t": "W"}


@dataclass(frozen=True)
class ParsedPoint:
    """Coordinates read from text (lon, lat), or why they are unusable."""

    lon: float | None
    lat: float | None
    error: str | None = None
    swapped: bool = False


def _float(text: str) -> float:
    return float(text.replace(",", "."))


def _dms(text: str) -> ParsedPoint | None:
    matches = [m for m in _DMS.finditer(text) if m.group(2)]
    if len(matches) != 2 or _DMS.sub("", text).strip(" ,;/") != "":
        return None
    values = []
    for m in matches:
        degrees = _float(m.group(2))
        minutes = _float(m.group(3)) if m.group(3) else 0.0
        seconds = _float(m.group(4)) if m.group(4) else 0.0
        if minutes >= 60 or seconds >= 60:
            return ParsedPoint(None, None, f"{m.group(0).strip()}: minutes and seconds are < 60")
        hemisphere = _HEMISPHERE.get((m.group(1) or m.group(5) or "").lower())
        value = degrees + minutes / 60 + seconds / 3600
        values.append((-value if hemisphere in ("S", "W") else value, hemisphere))
    (a, ha), (b, hb) = values
    if ha in ("E", "W") or hb in ("N", "S"):
        (a, ha), (b, hb) = (b, hb), (a, ha)
    if ha in ("N", "S") or hb in ("E", "W"):
        return ParsedPoint(lon=b, lat=a)
    return _ordered(a, b)


def _ordered(a: float, b: float) -> ParsedPoint:
    """(lat, lon) or (lon, lat): whichever reading falls in Vietnam's extent."""

    def fits(lat: float, lon: float) -> bool:
        return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]

    if fits(a, b):
        return ParsedPoint(lon=b, lat=a)
    if fits(b, a):
        return ParsedPoint(lon=a, lat=b, swapped=True)
    if not (-90 <= a <= 90 or -90 <= b <= 90) or max(abs(a), abs(b)) > 180:
        return ParsedPoint(None, None, f"({a}, {b}) are not valid coordinates")
    return ParsedPoint(
        lon=b if -90 <= a <= 90 else a,
        lat=a if -90 <= a <= 90 else b,
        error=f"({a}, {b}) lies outside Vietnam in either order (lat, lon) or (lon, lat)",
    )


def may_be_point(text: str) -> bool:
    """False when a text in NFC (as gis.normalise.nfc gives it: also without control
    characters and runs of spaces, which change neither its letters nor its digits) can
    hold no coordinates: `parse_point` of the text it came from is then None. A batch
    screens its addresses with it, without a call of parse_point for each."""
    return _screened(text, LABEL_LETTERS, _has_degrees(text))


def _may_have_label(text):
    """Whether _LABELS can match: a letter, or one of the marks it takes out."""
    for c in text:  # noqa: SIM110 (a cpdef holds no generator)
        if c.isalpha() or c in ":=()[]":
            return True
    return False


def _screened(text, labels, degrees):
    """Whether ``text`` has a digit (\\d), unless, without ``degrees``, it has a letter of
    no label first (_OTHER_LETTER): one loop over the characters, compiled
    (coordinates.pxd) rather than two calls into the regex engine per address."""
    digit = False
    for c in text:
        if c.isdecimal():  # the regex \d
            digit = True
        elif not degrees and c.isalnum() and c not in labels:  # [^\W\d_] and no label
            return False  # a letter of no label, and no degree sign: neither a pair nor DMS
    return digit


def _has_degrees(text: str) -> bool:
    return "°" in text or "º" in text or "˚" in text


def parse_point(text: str) -> ParsedPoint | None:
    """The point written in ``text``; None when the text is not coordinates at all."""
    if len(text) > 120:
        return None
    text = unicodedata.normalize("NFC", text)
    if not may_be_point(text):
        return None
    degrees = _has_degrees(text)
    # Most points are bare numbers: without a letter or a bracket no label is there to
    # take out (the pattern costs ~58k instructions a text, callgrind).
    cleaned = (_LABELS.sub(" ", text) if _may_have_label(text) else text).strip()
    for pattern in (_DECIMAL_PAIR, _COMMA_DECIMAL_PAIR):
        m = pattern.match(cleaned)
        if m:
            return _ordered(_float(m.group(1)), _float(m.group(2)))
    if degrees:
        return _dms(cleaned)
    return None


@functools.cache
def _territory() -> tuple[shapely.STRtree, np.ndarray]:
    boxes = list(legacy_ward_boxes()) + list(ARCHIPELAGO_BOXES.values())
    geoms = shapely.box(*np.array(boxes).T)
    return shapely.STRtree(geoms), geoms


def in_territory(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """True where a point lies in Vietnam's territory (land boxes and archipelagos)."""
    tree, _ = _territory()
    points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    inside = np.zeros(len(points), dtype=bool)
    if len(points):
        hit, _ = tree.query(points, predicate="intersects")
        inside[np.unique(hit)] = True
    return inside


def archipelago(lon: float, lat: float) -> str | None:
    """'Hoàng Sa' or 'Trường Sa' when the point lies in their waters."""
    for name, (w, s, e, n) in ARCHIPELAGO_BOXES.items():
        if w <= lon <= e and s <= lat <= n:
            return name
    return None
