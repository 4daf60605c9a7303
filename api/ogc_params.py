"""Parsing of OGC API – Features query parameters (bbox, datetime) into gis.features.Query."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from gis.errors import InputError
from gis.incident_filter import LOCAL_TZ

LOCAL = ZoneInfo(LOCAL_TZ)  # a date or a time without offset is Vietnam time, as elsewhere

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CRS84_NAMES = frozenset({CRS84, "[OGC:CRS84]"})
RESERVED = {"bbox", "datetime", "limit", "offset", "f", "bbox-crs", "crs", "skipGeometry"}


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """'minLon,minLat,maxLon,maxLat' (CRS84) → a tuple; 6 values (3-D) keep x/y only."""
    if raw is None:
        return None
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        values = []
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4:
        raise InputError(
            f"bbox={raw!r} is not four numbers",
            "use bbox=minLon,minLat,maxLon,maxLat",
            field="bbox",
        )
    minx, miny, maxx, maxy = values
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InputError(
            f"bbox={raw!r} is not minLon,minLat,maxLon,maxLat in degrees (CRS84)",
            "give the west, south, east and north edges, e.g. bbox=105.5,19.8,106.7,20.8",
            field="bbox",
        )
    return minx, miny, maxx, maxy


def check_crs(name: str, raw: str | None) -> None:
    """Refuse a ``crs`` or ``bbox-crs`` other than CRS84, the only one served (lon, lat)."""
    if raw is not None and raw.strip() not in CRS84_NAMES:
        raise InputError(
            f"{name}={raw!r} is not supported: tuquan serves CRS84 (longitude, latitude) only",
            f"leave {name} out, or give {name}={CRS84}",
            field=name,
        )


def _instant(raw: str, end: bool) -> datetime | None:
    if raw in ("", ".."):
        return None
    try:
        if len(raw) == 10:  # a date covers the whole day
            day = date.fromisoformat(raw)
            return datetime.combine(day, time.max if end else time.min, tzinfo=LOCAL)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"datetime {raw!r} is not RFC 3339",
            "use 2024-01-31, 2024-01-31T08:00:00Z, or an interval like 2024-01-01/2024-12-31 "
            "with '..' for an open end (a date or a time without offset is Vietnam time)",
            field="datetime",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL)


def parse_datetime(raw: str | None) -> tuple[datetime | None, datetime | None]:
    """An instant or an interval 'start/end' (either end may be '..').

    A date is that whole day and a date-time without offset that moment, in Vietnam time
    (Asia/Ho_Chi_Minh); an explicit offset or Z is kept as given."""
    if raw is None:
        return None, None
    if "/" in raw:
        start_raw, _, end_raw = raw.partition("/")
        start, end = _instant(start_raw, False), _instant(end_raw, True)
        if start and end and start > end:
            raise InputError(
                f"datetime {raw!r} ends before it starts", "swap the two ends", field="datetime"
            )
        return start, end
    if len(raw) == 10:
        return _instant(raw, False), _instant(raw, True)
    moment = _instant(raw, False)
    return moment, moment
