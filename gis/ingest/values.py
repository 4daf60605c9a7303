"""Vectorised parsing of cell text: dates and times, numbers, coordinates, vocabularies.

Each parser takes a Series of str and returns parsed values plus, per row, an error
message or None, so that a chunk of 100,000 rows is checked with a handful of array
operations (vocabularies are matched once per distinct value).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from gis.coordinates import parse_point

LOCAL_UTC_OFFSET = pd.Timedelta(hours=7)  # Asia/Ho_Chi_Minh: UTC+7, no daylight saving
EARLIEST = pd.Timestamp("1990-01-01")
# dd/mm first: the Vietnamese order. Two-digit years are refused (ambiguous century).
_DAYS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d")
_TIMES = ("", " %H:%M", " %H:%M:%S", "T%H:%M", "T%H:%M:%S", " %H:%M:%S.%f")
DATE_FORMATS = (
    *(f"{d}{t}" for d in _DAYS for t in _TIMES),
    "%H:%M %d/%m/%Y",
    "%H:%M:%S %d/%m/%Y",
)
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
EXCEL_SERIALS = (32874, 73051)  # 1990-01-01 .. 2100-01-01
_ISO_WITH_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}.*(?:Z|[+-]\d{2}:?\d{2})$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
DATE_MESSAGE = (
    "ngày không đọc được / not a date: write dd/mm/yyyy (giờ hh:mm tùy chọn), yyyy-mm-dd "
    "or use an Excel date cell"
)

Messages = np.ndarray  # object array: a message per row, or None


def _vietnamese_date_words(text: pd.Series) -> pd.Series:
    """'14h30 ngày 12 tháng 3 năm 2021' → '14:30 12/3/2021'."""
    from gis.normalise import fold

    t = text.map(lambda v: fold(v))
    t = t.str.replace(
        r"\b(\d{1,2})\s*(?:h|gio)\s*(\d{1,2})?(?:\s*(?:p|phut)\b)?", _hours, regex=True
    )
    t = t.str.replace(r"\b(?:ngay|luc|vao|gio)\b", " ", regex=True)
    t = t.str.replace(r"\s*(?:thang|nam)\s*", "/", regex=True)
    t = t.str.replace(r"\s*([/.-])\s*", r"\1", regex=True)
    return t.str.replace(r"\s+", " ", regex=True).str.strip(" ,")


def _hours(m: re.Match) -> str:
    return f" {int(m.group(1)):02d}:{int(m.group(2) or 0):02d} "


def _fixed_width(text: pd.Series) -> pd.Series:
    """Zero-padded dd/mm/yyyy or yyyy-mm-dd dates (with hh:mm[:ss]) read with array
    arithmetic on the characters: the common case, ~20× faster than strptime."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    values = text.to_numpy(dtype=object)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    for length in (10, 16, 19):
        rows = np.flatnonzero(lengths == length)
        if not len(rows):
            continue
        chars = np.array(values[rows].tolist(), dtype=f"U{length}").view(np.uint32)
        chars = chars.reshape(len(rows), length).astype(np.int64)
        digit = (chars >= 48) & (chars <= 57)
        n = chars - 48

        def number(start: int, width: int, n: np.ndarray = n) -> np.ndarray:
            return sum(n[:, start + i] * 10 ** (width - 1 - i) for i in range(width))

        time_ok = np.ones(len(rows), dtype=bool)
        hour = minute = second = np.zeros(len(rows), dtype=np.int64)
        if length >= 16:
            time_ok = np.isin(chars[:, 10], (32, 84)) & (chars[:, 13] == 58)  # ' ' or 'T', ':'
            time_ok &= digit[:, [11, 12, 14, 15]].all(axis=1)
            hour, minute = number(11, 2), number(14, 2)
        if length == 19:
            time_ok &= (chars[:, 16] == 58) & digit[:, [17, 18]].all(axis=1)
            second = number(17, 2)
        day_first = np.isin(chars[:, 2], (47, 45, 46)) & (chars[:, 5] == chars[:, 2])  # / - .
        day_first &= digit[:, [0, 1, 3, 4, 6, 7, 8, 9]].all(axis=1)
        year_first = np.isin(chars[:, 4], (45, 47)) & (chars[:, 7] == chars[:, 4])  # - /
        year_first &= digit[:, [0, 1, 2, 3, 5, 6, 8, 9]].all(axis=1)
        year = np.where(day_first, number(6, 4), number(0, 4))
        month = np.where(day_first, number(3, 2), number(5, 2))
        day = np.where(day_first, number(0, 2), number(8, 2))
        ok = (day_first | year_first) & time_ok & (hour < 24) & (minute < 60) & (second < 60)
        ok &= (month >= 1) & (month <= 12) & (day >= 1)
        if not ok.any():
            continue
        # Calendar arithmetic in numpy: month start + days; 31/02 lands in another month.
        months = ((year - 1970) * 12 + month - 1)[ok].astype("datetime64[M]")
        days = months.astype("datetime64[D]") + (day[ok] - 1).astype("timedelta64[D]")
        real = days.astype("datetime64[M]") == months
        seconds = (hour * 3600 + minute * 60 + second)[ok].astype("timedelta64[s]")
        stamps = (days.astype("datetime64[s]") + seconds).astype("datetime64[us]")
        out.iloc[rows[ok][real]] = stamps[real]
    return out


def _unread(result: pd.Series, text: pd.Series) -> pd.Series:
    """True where ``result`` is NaT and ``text`` is not empty (text compared only then)."""
    left = result.isna()
    return left & (text != "") if left.any() else left


def _try_formats(text: pd.Series, result: pd.Series, memo: dict | None = None) -> None:
    """Fill NaT entries of ``result`` from ``text`` with the first format that reads them."""
    todo = _unread(result, text)
    if not todo.any():  # every cell already read (the fixed-width fast path): rank nothing
        return
    ranked = (memo or {}).get("ranked")
    if ranked is None:
        # Most files use one format: try first the formats that read the first rows.
        sample = text[todo].head(200)
        ranked = sorted(
            DATE_FORMATS,
            key=lambda f: -pd.to_datetime(sample, format=f, errors="coerce").notna().sum(),
        )
        if memo is not None and len(sample):
            memo["ranked"] = ranked
    for fmt in ranked:
        if not todo.any():
            return
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        hit = parsed.notna()
        if hit.any():
            result.loc[parsed.index[hit]] = parsed[hit]
            todo.loc[parsed.index[hit]] = False


def parse_datetimes(
    text: pd.Series, now: pd.Timestamp | None = None, memo: dict | None = None
) -> tuple[pd.Series, Messages]:
    """UTC timestamps (naive values are Asia/Ho_Chi_Minh local time) and per-row messages.

    ``memo`` (one dict per column, kept across chunks) remembers the file's date format.
    """
    text = pd.Series(text, dtype=object)
    local = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    utc = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    local[:] = _fixed_width(text)  # the common case; never a text with a UTC offset
    offset = pd.Series(False, index=text.index)
    given = (text != "").to_numpy()
    rest = local.isna().to_numpy() & given
    if rest.any():
        offset[rest] = text[rest].str.match(_ISO_WITH_OFFSET).astype(bool)
    if offset.any():
        utc[offset] = pd.to_datetime(text[offset], format="ISO8601", errors="coerce", utc=True)
    plain = text.where(~offset, "")
    _try_formats(plain, local, memo)
    left = _unread(local, plain)
    if left.any():
        serial = plain[left].str.match(_SERIAL)
        days = pd.to_numeric(plain[left][serial], errors="coerce")
        days = days[(days >= EXCEL_SERIALS[0]) & (days < EXCEL_SERIALS[1])]
        local[days.index] = EXCEL_EPOCH + pd.to_timedelta(days, unit="D").dt.round("s")
    left = _unread(local, plain)
    if left.any():
        words = _vietnamese_date_words(plain[left])
        again = pd.Series(pd.NaT, index=words.index, dtype="datetime64[us]")
        _try_formats(words, again)
        local[again.index] = again
    out = (local - LOCAL_UTC_OFFSET).dt.tz_localize("UTC").where(local.notna(), utc)
    messages = np.full(len(text), None, dtype=object)
    bad = out.isna().to_numpy() & given
    messages[bad] = DATE_MESSAGE
    now = now or pd.Timestamp.now(tz="UTC")
    future = (out > now + pd.Timedelta(days=1)).to_numpy()
    messages[future] = "ngày trong tương lai / date in the future"
    early = (out < EARLIEST.tz_localize("UTC")).to_numpy()
    messages[early] = f"ngày trước {EARLIEST:%Y} / date before {EARLIEST:%Y}: a typo?"
    out[future | early] = pd.NaT
    return out, messages


def add_time_of_day(when: pd.Series, text: pd.Series) -> tuple[pd.Series, Messages]:
    """``when`` (UTC, from a date-only column) plus the local time written in ``text``."""
    text = text.astype(str).str.strip()
    words = text.where(~text.str.contains("h", case=False), _vietnamese_date_words(text))
    parsed = pd.to_datetime("2000-01-01 " + words, format="%Y-%m-%d %H:%M", errors="coerce")
    more = parsed.isna()
    parsed[more] = pd.to_datetime(
        "2000-01-01 " + words[more], format="%Y-%m-%d %H:%M:%S", errors="coerce"
    )
    fraction = pd.to_numeric(text.where(parsed.isna(), ""), errors="coerce")
    fraction = fraction.where((fraction >= 0) & (fraction < 1))  # an Excel time cell
    offset = (parsed - pd.Timestamp("2000-01-01")).fillna(
        pd.to_timedelta(fraction, unit="D").dt.round("s")
    )
    messages = np.full(len(text), None, dtype=object)
    bad = (offset.isna() & (text != "")).to_numpy()
    messages[bad] = "giờ không đọc được / not a time: write hh:mm (e.g. 14:30 or 14h30)"
    return when + offset.fillna(pd.Timedelta(0)), messages


def parse_numbers(text: pd.Series) -> pd.Series:
    """Floats from text; a decimal comma ('20,25') is read as a point; NaN where unreadable."""
    text = pd.Series(text, dtype=object)
    values = pd.to_numeric(text, errors="coerce")
    retry = _unread(values, text)
    if retry.any():
        comma = text[retry].str.fullmatch(r"[-+]?\d+,\d+")
        fixed = text[retry][comma].str.replace(",", ".", regex=False)
        values[fixed.index] = pd.to_numeric(fixed, errors="coerce")
    return values.astype(float)


def _pair(value: str) -> tuple[float, float, str | None]:
    if not value:
        return np.nan, np.nan, None
    point = parse_point(value)
    if point is None:
        return np.nan, np.nan, "tọa độ không đọc được / not coordinates: write 'lat, lon'"
    if point.error:
        return np.nan, np.nan, f"tọa độ ngoài Việt Nam / outside Vietnam: {point.error}"
    return point.lon, point.lat, None


def parse_coordinate_pairs(text: pd.Series) -> tuple[np.ndarray, np.ndarray, Messages]:
    """(lon, lat) from one 'lat, lon' cell (either order; DMS accepted), with messages."""
    parsed = map_distinct(text, _pair)
    lon = np.array([p[0] for p in parsed], dtype=float)
    lat = np.array([p[1] for p in parsed], dtype=float)
    return lon, lat, np.array([p[2] for p in parsed], dtype=object)


def map_distinct(text: pd.Series, parse: Callable[[str], object]) -> pd.Series:
    """``parse`` applied once per distinct value (vocabulary columns repeat a few values)."""
    text = pd.Series(text, dtype=object)
    uniques = pd.unique(text)
    lookup = {u: parse(u) for u in uniques}
    return text.map(lookup)
