"""What a geocode returns: one result per input, never a silent guess; and which inputs
are no address at all."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields

from gis.normalise import MAX_INPUT_CHARS

_ALNUM = re.compile(r"[^\W_]")

STATUSES = ("matched", "ambiguous", "unmatched", "invalid")


@dataclass(frozen=True)
class Candidate:
    """A current commune an ambiguous input may mean."""

    commune_code: str
    commune_name: str
    province_code: str
    score: float


@dataclass(slots=True)
class GeocodeResult:
    """The answer for one input: a loaded current commune and a point, or why not."""

    text: str
    status: str  # matched | ambiguous | unmatched | invalid
    precision: str | None = None  # a key of gis.domain.PRECISIONS
    commune_code: str | None = None
    commune_name: str | None = None
    province_code: str | None = None
    province_name: str | None = None
    legacy: str | None = None  # the pre-2025 unit the input named
    lon: float | None = None
    lat: float | None = None
    score: float = 0.0
    candidates: list[Candidate] = field(default_factory=list)
    reason: str | None = None

    def as_dict(self) -> dict:
        """Plain data (JSON-ready); candidates as dicts."""
        data = {name: getattr(self, name) for name in _FIELDS}
        data["candidates"] = [
            {"commune_code": c.commune_code, "commune_name": c.commune_name,
             "province_code": c.province_code, "score": c.score}
            for c in self.candidates
        ]  # fmt: skip
        return data

    @classmethod
    def from_dict(cls, data: dict) -> GeocodeResult:
        """The inverse of `as_dict`."""
        values = dict(data)
        values["candidates"] = [Candidate(**c) for c in values.get("candidates") or []]
        return cls(**values)

    def for_text(self, text: str) -> GeocodeResult:
        """The same answer for another spelling of the same normalised text."""
        # Every field by position: several times faster than dataclasses.replace, which
        # matters for a batch of cache hits (tests/gis/test_geocode_result.py checks that
        # no field is forgotten).
        return GeocodeResult(
            text, self.status, self.precision, self.commune_code, self.commune_name,
            self.province_code, self.province_name, self.legacy, self.lon, self.lat,
            self.score, list(self.candidates), self.reason,
        )  # fmt: skip

    def compact_dict(self) -> dict:
        """`as_dict` without empty fields and without the text (for the cache)."""
        values = (
            self.status, self.precision, self.commune_code, self.commune_name,
            self.province_code, self.province_name, self.legacy, self.lon, self.lat,
            self.score, self.reason,
        )  # fmt: skip  # in the order of _STORED; by attribute: twice as fast as getattr
        names, data = _STORED, {}
        for i in range(len(names)):  # compiled to a C loop; ~3x faster than zip(strict=True)
            if values[i] is not None:
                data[names[i]] = values[i]
        if self.candidates:
            data["candidates"] = [
                {"commune_code": c.commune_code, "commune_name": c.commune_name,
                 "province_code": c.province_code, "score": c.score}
                for c in self.candidates
            ]  # fmt: skip
        return data


_FIELDS = tuple(f.name for f in fields(GeocodeResult) if f.name != "candidates")
_STORED = tuple(name for name in _FIELDS if name != "text")


def invalid(text: str, reason: str) -> GeocodeResult:
    """An input that is not an address or coordinates in Vietnam."""
    return GeocodeResult(text=text, status="invalid", reason=reason)


def unmatched(text: str, reason: str, **fields) -> GeocodeResult:
    """An address that names no loaded current commune with confidence."""
    return GeocodeResult(text=text, status="unmatched", reason=reason, **fields)


def as_text(value) -> str:
    """An input as the text a result carries (UTF-8 bytes decoded, None empty)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def _has_alnum(text):
    """_ALNUM.search(text) is not None ([^\\W_] is str.isalnum), as a loop: compiled
    (geocode_result.pxd), no call into the regex engine for each input."""
    for c in text:  # noqa: SIM110 (a cpdef holds no generator)
        if c.isalnum():
            return True
    return False


def unusable(value) -> str | None:
    """Why an input cannot be an address at all, or None (then it gets `invalid`)."""
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
    if not _has_alnum(value):
        return "trống / empty input (no letters or digits)"
    if value.isprintable():
        return None
    printable = sum(c.isprintable() or c in "\n\r\t" for c in value)
    if printable < 0.9 * len(value) or "\ufffd" in value:
        return "không phải văn bản / binary or garbled input"
    return None
