"""Parsing of OGC API – Features query parameters (bbox, datetime) into gis.features.Query."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from gis.errors import InputError

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
            f"bbox={raw!r} is not four numbers", "use bbox=minLon,minLat,maxLon,maxLat"
        )
    return values[0], values[1], values[2], values[3]


def _instant(raw: str, end: bool) -> datetime | None:
    if raw in ("", ".."):
        return None
    try:
        if len(raw) == 10:  # a date covers the whole day
            day = date.fromisoformat(raw)
            return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"datetime {raw!r} is not RFC 3339",
            "use 2024-01-31, 2024-01-31T08:00:00Z, or an interval like 2024-01-01/2024-12-31 "
            "with '..' for an open end",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_datetime(raw: str | None) -> tuple[datetime | None, datetime | None]:
    """An instant or an interval 'start/end' (either end may be '..')."""
    if raw is None:
        return None, None
    if "/" in raw:
        start_raw, _, end_raw = raw.partition("/")
        start, end = _instant(start_raw, False), _instant(end_raw, True)
        if start and end and start > end:
            raise InputError(f"datetime {raw!r} ends before it starts", "swap the two ends")
        return start, end
    if len(raw) == 10:
        return _instant(raw, False), _instant(raw, True)
    moment = _instant(raw, False)
    return moment, moment
