"""Incidents one at a time (create), and the statistics the CLI and the API summarise.

Times are stored with their time zone and shown in Asia/Ho_Chi_Minh. Statistics are
aggregates only (counts by category, year, commune): no addresses, no points; for viewers
the small counts are suppressed (`IncidentStats.as_dict(min_count)`). A write is audited in
its own transaction, and a `Principal` writes only inside their scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis import audit
from gis.auth import Principal, Scope
from gis.domain import INCIDENT_CATEGORIES, keys
from gis.errors import InputError, NotFound
from gis.ingest.locate import Locator
from gis.ingest.values import parse_datetimes
from gis.ingest.vocab import CATEGORY_PHRASES, is_generic_category, match_phrase
from gis.normalise import nfc
from gis.privacy import is_small, suppress_counts, suppress_rows
from gis.record_access import OutsideScope, scope_of, writer

LOCAL_ZONE = "Asia/Ho_Chi_Minh"


@dataclass
class IncidentInput:
    """One incident as a form gives it; time and category accept what officers write."""

    occurred_at: dt.datetime | str
    category: str
    subcategory: str | None = None
    address: str | None = None
    lon: float | None = None
    lat: float | None = None
    source: str = "manual"
    external_ref: str | None = None
    is_synthetic: bool = False


def _timestamp(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # a local time, as officers give it
            return value.replace(tzinfo=dt.timezone(dt.timedelta(hours=7)))
        return value
    parsed, messages = parse_datetimes(pd.Series([str(value).strip()], dtype=object))
    if messages[0] or pd.isna(parsed.iloc[0]):
        raise InputError(
            f"time {value!r}: {messages[0] or 'missing'}",
            "e.g. 12/03/2024 14:30",
            field="occurred_at",
        )
    return parsed.iloc[0].to_pydatetime()


_RETURNED = (
    "province_code, id, source, external_ref, occurred_at, category, subcategory, address, "
    "commune_code, precision, score, is_synthetic"
)


def _outside_scope() -> OutsideScope:
    """The one refusal of an incident a principal may not write (its place or its reference)."""
    return OutsideScope(
        "this incident cannot be written within your scope",
        "place it inside the provinces or communes assigned to you and give it a reference "
        "(external_ref) of your own, or ask an admin",
    )


def create_incident(
    engine: Engine,
    data: IncidentInput,
    locator: Locator | None = None,
    actor: Principal | str | None = None,
) -> dict:
    """Insert (or update, by source and reference) one incident; the stored row.

    ``actor`` (default: 'cli:<user>') is named in the audit log; a `Principal` must place the
    incident inside their scope, and cannot overwrite one outside it."""
    category = data.category if data.category in keys(INCIDENT_CATEGORIES) else None
    category = category or match_phrase(data.category or "", CATEGORY_PHRASES)
    if category is None:
        raise InputError(
            f"unknown incident category {data.category!r}",
            "use one of: " + ", ".join(f"{t.key} ({t.vi})" for t in INCIDENT_CATEGORIES),
            field="category",
        )
    subcategory = data.subcategory
    if not subcategory and data.category not in keys(INCIDENT_CATEGORIES):
        subcategory = None if is_generic_category(data.category) else data.category
    when = _timestamp(data.occurred_at)
    if (data.lon is None) != (data.lat is None):
        raise InputError(
            "only one of lon and lat is given", "give both, or an address", field=("lon", "lat")
        )
    if data.lon is None and not (data.address and data.address.strip()):
        raise InputError(
            "an incident needs an address or coordinates",
            "give one of them",
            field=("address", "lon", "lat"),
        )
    placed = (locator or Locator(engine)).locate(
        np.array([np.nan if data.lon is None else float(data.lon)]),
        np.array([np.nan if data.lat is None else float(data.lat)]),
        pd.Series([data.address or ""], dtype=object),
    )
    if placed.errors[0]:
        raise InputError(
            placed.errors[0],
            "correct the coordinates or the address",
            field=("lon", "lat") if data.lon is not None else "address",
        )
    scope = scope_of(actor)
    if not scope.allows(placed.province_code[0], placed.commune_code[0]):
        raise _outside_scope()
    ref = data.external_ref or f"manual:{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S%f}"
    params = {
        "province": placed.province_code[0], "source": nfc(data.source or "manual"),
        "ref": nfc(ref), "when": when,
        "category": category, "subcategory": subcategory and nfc(subcategory),
        "address": data.address and nfc(data.address), "commune": placed.commune_code[0],
        "lon": float(placed.lon[0]), "lat": float(placed.lat[0]),
        "precision": placed.precision[0], "score": float(placed.score[0]),
        "address_commune": placed.address_commune_code[0], "synthetic": data.is_synthetic,
    }  # fmt: skip
    with engine.begin() as conn:
        before = (
            conn.execute(
                sa.text(
                    f"SELECT {_RETURNED} FROM incident WHERE province_code = :province "  # noqa: S608
                    "AND source = :source AND external_ref = :ref FOR UPDATE"
                ),
                params,
            )
            .mappings()
            .first()
        )
        if before is not None and not scope.allows(before["province_code"], before["commune_code"]):
            # never overwritten, and answered as a place outside the scope is: the answer
            # must not confirm that a record outside the caller's scope holds this reference
            raise _outside_scope()
        row = (
            conn.execute(
                sa.text(
                    "INSERT INTO incident (province_code, source, external_ref, occurred_at, "  # noqa: S608
                    "category, subcategory, address, commune_code, geom, precision, score, "
                    "address_commune_code, is_synthetic) VALUES (:province, :source, :ref, "
                    ":when, :category, :subcategory, :address, :commune, "
                    "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :precision, :score, "
                    ":address_commune, :synthetic) "
                    "ON CONFLICT (province_code, source, external_ref) DO UPDATE SET "
                    "occurred_at = EXCLUDED.occurred_at, category = EXCLUDED.category, "
                    "subcategory = EXCLUDED.subcategory, address = EXCLUDED.address, "
                    "commune_code = EXCLUDED.commune_code, geom = EXCLUDED.geom, "
                    "precision = EXCLUDED.precision, score = EXCLUDED.score, "
                    "address_commune_code = EXCLUDED.address_commune_code, updated_at = now() "
                    f"RETURNING {_RETURNED}"
                ),
                params,
            )
            .mappings()
            .one()
        )
        action = "create" if before is None else "update"
        entity_id = f"{row['province_code']}/{row['id']}"
        audit.record(
            conn, writer(None, actor), action, "incident", entity_id,
            None if before is None else dict(before), dict(row),
        )  # fmt: skip
    return {**dict(row), "warning": placed.warnings[0]}


@dataclass
class IncidentStats:
    """Counts of incidents for an area and period (aggregates only)."""

    total: int
    synthetic: int
    first: dt.datetime | None
    last: dt.datetime | None
    by_category: dict[str, int]
    by_year: dict[int, dict[str, int]]  # local year → category → count
    by_precision: dict[str, int]
    top_communes: list[dict]  # code, name, incidents
    flagged: int  # coordinates and address disagree

    def as_dict(self, min_count: int | None = None) -> dict:
        """Plain data; counts below ``min_count`` (viewers) suppressed, and the first and
        last times too when the total is that small."""
        small = min_count is not None and is_small(self.total, min_count)
        return {
            "total": suppress_counts({"n": self.total}, min_count)["n"],
            "synthetic": suppress_counts({"n": self.synthetic}, min_count)["n"],
            "flagged": suppress_counts({"n": self.flagged}, min_count)["n"],
            "first": None if small else self.first,
            "last": None if small else self.last,
            "by_category": suppress_counts(self.by_category, min_count),
            "by_year": {y: suppress_counts(c, min_count) for y, c in self.by_year.items()},
            "by_precision": suppress_counts(self.by_precision, min_count),
            "top_communes": suppress_rows(self.top_communes, {"incidents": "incidents"}, min_count),
        }


def incident_stats(
    engine: Engine,
    province: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    top: int = 10,
    scope: Scope | None = None,
) -> IncidentStats:
    """Totals by category, local year, precision and commune (Asia/Ho_Chi_Minh dates),
    of the incidents inside ``scope`` (default: everywhere); a province wholly outside a
    province-only scope is answered as missing."""
    scope = scope or Scope()
    outside = not scope.unlimited and not scope.communes and province not in scope.provinces
    if province is not None and outside:
        raise NotFound(f"no province {province!r}", "give a province of your scope")
    where = (
        "(CAST(:p AS text) IS NULL OR i.province_code = :p) "
        "AND (:unlimited OR i.province_code = ANY(:sp) OR i.commune_code = ANY(:sc)) "
        "AND (CAST(:since AS date) IS NULL OR (i.occurred_at AT TIME ZONE :zone)::date >= :since) "
        "AND (CAST(:until AS date) IS NULL OR (i.occurred_at AT TIME ZONE :zone)::date <= :until)"
    )
    params = {
        "p": province, "since": since, "until": until, "zone": LOCAL_ZONE, "top": top,
        "unlimited": scope.unlimited, "sp": sorted(scope.provinces or ()),
        "sc": sorted(scope.communes),
    }  # fmt: skip
    head_sql = (
        "SELECT count(*), count(*) FILTER (WHERE is_synthetic), min(occurred_at), "  # noqa: S608
        "max(occurred_at), count(*) FILTER (WHERE address_commune_code IS NOT NULL "
        f"AND address_commune_code <> commune_code) FROM incident i WHERE {where}"
    )
    year_sql = (
        "SELECT extract(year FROM i.occurred_at AT TIME ZONE :zone)::int AS year, "  # noqa: S608
        f"category, count(*) FROM incident i WHERE {where} GROUP BY 1, 2 ORDER BY 1, 2"
    )
    precision_sql = (
        f"SELECT precision, count(*) FROM incident i WHERE {where} "  # noqa: S608
        "GROUP BY 1 ORDER BY 2 DESC"
    )
    commune_sql = (
        "SELECT i.commune_code AS code, a.name, count(*) AS incidents FROM incident i "  # noqa: S608
        f"JOIN admin_unit a ON a.code = i.commune_code WHERE {where} "
        "GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT :top"
    )
    with engine.connect() as conn:
        head = conn.execute(sa.text(head_sql), params).one()
        years = conn.execute(sa.text(year_sql), params).all()
        precision = conn.execute(sa.text(precision_sql), params).all()
        communes = conn.execute(sa.text(commune_sql), params).mappings()
        top_communes = [dict(r) for r in communes]
    by_year: dict[int, dict[str, int]] = {}
    by_category = {k: 0 for k in keys(INCIDENT_CATEGORIES)}
    for year, category, n in years:
        by_year.setdefault(year, {})[category] = n
        by_category[category] += n
    return IncidentStats(
        total=head[0], synthetic=head[1], first=head[2], last=head[3], flagged=head[4],
        by_category=by_category, by_year=by_year, by_precision=dict(precision),
        top_communes=top_communes,
    )  # fmt: skip
