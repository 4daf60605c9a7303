"""What a form gives for a site, read into stored values: kind, status, components, place.

Kinds, statuses and components accept what officers write (Vietnamese phrases, numbers);
the place comes from coordinates (checked, then point-in-polygon) or from the address.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from gis.domain import COMPONENTS, SITE_KINDS, SITE_STATUSES, keys
from gis.errors import InputError
from gis.ingest.locate import Locator
from gis.ingest.vocab import KIND_PHRASES, STATUS_PHRASES, match_phrase, parse_components


@dataclass
class SiteInput:
    """A site as a form gives it; kind, components and status accept what officers write."""

    name: str
    kind: str
    components: list[int] | str | None = None  # None: all five
    status: str = "planned"
    started_on: dt.date | None = None
    host_unit: str | None = None
    address: str | None = None
    lon: float | None = None
    lat: float | None = None
    notes: str | None = None
    ref: str | None = None
    is_synthetic: bool = False
    status_on: dt.date | None = None
    extra: dict = field(default_factory=dict)


def _term_key(value: str, terms, phrases, what: str, field: str) -> str:
    """The stored key of a vocabulary term given as its key or a phrase, or InputError."""
    key = value if value in keys(terms) else match_phrase(value or "", phrases)
    if key is None:
        raise InputError(
            f"unknown {what} {value!r}",
            "use one of: " + ", ".join(f"{t.key} ({t.vi})" for t in terms),
            field=field,
        )
    return key


def parse_kind(value: str) -> str:
    """The stored key of a site kind (key or phrase), or InputError."""
    return _term_key(value, SITE_KINDS, KIND_PHRASES, "site kind", "kind")


def parse_status(value: str) -> str:
    """The stored key of a site status (key or phrase), or InputError."""
    return _term_key(value, SITE_STATUSES, STATUS_PHRASES, "site status", "status")


def parse_component_list(value: list[int] | str | None) -> list[int]:
    """Components 1–5 from numbers or phrases; None or empty: all five."""
    if value is None or value == "":
        return list(range(1, len(COMPONENTS) + 1))
    parsed = (
        parse_components(value)
        if isinstance(value, str)
        else tuple(sorted({int(v) for v in value}))
    )
    if not parsed or not all(1 <= n <= len(COMPONENTS) for n in parsed):
        raise InputError(
            f"unknown components {value!r}",
            "give numbers 1–5 (" + "; ".join(f"{i} {t.vi}" for i, t in enumerate(COMPONENTS, 1))
            + ")",
            field="components",
        )  # fmt: skip
    return list(parsed)


def place(locator: Locator, lon, lat, address: str | None) -> dict:
    """Commune, point, precision and score for coordinates or an address (or InputError)."""
    if (lon is None) != (lat is None):
        raise InputError(
            "only one of lon and lat is given", "give both, or an address", field=("lon", "lat")
        )
    if lon is None and not (address and address.strip()):
        raise InputError(
            "a site needs an address or coordinates",
            "give one of them",
            field=("address", "lon", "lat"),
        )
    xs = np.array([np.nan if lon is None else float(lon)])
    ys = np.array([np.nan if lat is None else float(lat)])
    placed = locator.locate(xs, ys, None if address is None else _series(address))
    if placed.errors[0]:
        raise InputError(
            placed.errors[0],
            "correct the coordinates or the address",
            field=("lon", "lat") if lon is not None else "address",
        )
    return {
        "commune_code": placed.commune_code[0], "province_code": placed.province_code[0],
        "lon": float(placed.lon[0]), "lat": float(placed.lat[0]),
        "precision": placed.precision[0], "score": float(placed.score[0]),
        "address_commune_code": placed.address_commune_code[0], "warning": placed.warnings[0],
    }  # fmt: skip


def _series(address: str):
    import pandas as pd

    return pd.Series([address], dtype=object)
