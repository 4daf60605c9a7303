"""Feature collections for OGC API – Features: what each exposes and how it is queried.

Each collection is a fixed SQL source (never built from user input) with a whitelist of
properties; filters, bbox and time bounds are bound parameters, and the only names put
into SQL text are registry constants quoted by the driver (hence the S608 waiver in
pyproject.toml). The API layer only turns the pages returned here into HTTP responses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from gis.errors import InputError, NotFound
from gis.privacy import EVERYONE, Audience, suppressed_sql

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class Collection:
    """One feature collection: its SQL source, exposed properties and time column."""

    id: str
    title: str
    description: str
    source: str  # a SELECT yielding fid, geom (EPSG:4326) and the properties
    properties: tuple[str, ...]
    datetime_column: str | None = None
    sensitive: bool = False  # points that only authorised roles may see
    keywords: tuple[str, ...] = field(default_factory=tuple)
    # Scope convention: every source names the province (and, when it has one, the
    # commune) of each feature; callers with a limited scope see only theirs.
    province_column: str = "province_code"
    commune_column: str | None = "commune_code"
    # (property, count column that decides): incident counts suppressed for viewers.
    small_counts: tuple[tuple[str, str], ...] = ()
    # Bound parameters of the source, worked out per request (e.g. which stored result).
    bind: Callable[[Engine], dict] | None = None


PROVINCES = Collection(
    id="provinces",
    title="Tỉnh, thành phố / Provinces",
    description="Provinces and centrally-run cities in force since 1 July 2025.",
    source=(
        "SELECT code AS fid, code, name, full_name, name_en, unit_type, "
        "round(area_km2::numeric, 2)::float8 AS area_km2, geom "
        "FROM admin_unit WHERE level = 'province'"
    ),
    properties=("code", "name", "full_name", "name_en", "unit_type", "area_km2"),
    province_column="code",
    commune_column=None,
)

COMMUNES = Collection(
    id="communes",
    title="Xã, phường, đặc khu / Communes",
    description="Communes, wards and special zones in force since 1 July 2025.",
    source=(
        "SELECT code AS fid, code, parent_code AS province_code, name, full_name, name_en, "
        "unit_type, round(area_km2::numeric, 2)::float8 AS area_km2, geom "
        "FROM admin_unit WHERE level = 'commune'"
    ),
    properties=(
        "code",
        "province_code",
        "name",
        "full_name",
        "name_en",
        "unit_type",
        "area_km2",
    ),
    commune_column="code",
)

_REGISTRY: dict[str, Collection] = {c.id: c for c in (PROVINCES, COMMUNES)}


def register(collection: Collection) -> None:
    """Add a collection (analysis results, records) to the registry."""
    _REGISTRY[collection.id] = collection


def _register_builtin() -> None:
    import gis.feature_sources  # noqa: F401 — registers sites, incidents and the results


def collections(include_sensitive: bool = False) -> list[Collection]:
    """The collections a caller may list."""
    _register_builtin()
    return [c for c in _REGISTRY.values() if include_sensitive or not c.sensitive]


def get_collection(collection_id: str, include_sensitive: bool = False) -> Collection:
    """A collection by id; NotFound when unknown or not visible to the caller."""
    _register_builtin()
    found = _REGISTRY.get(collection_id)
    if found is None or (found.sensitive and not include_sensitive):
        raise NotFound(
            f"no collection {collection_id!r}",
            f"see /collections for: {', '.join(c.id for c in collections(include_sensitive))}",
        )
    return found


@dataclass
class Extent:
    """Spatial (CRS84 bbox) and temporal extent of a collection."""

    bbox: tuple[float, float, float, float] | None
    interval: tuple[datetime | None, datetime | None] | None


@dataclass
class Query:
    """Filters of an items request; values are validated here, not in the API."""

    bbox: tuple[float, float, float, float] | None = None
    start: datetime | None = None
    end: datetime | None = None
    properties: dict[str, str] = field(default_factory=dict)
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    skip_geometry: bool = False  # properties only (a far lighter answer for polygons)


@dataclass
class FeaturePage:
    """A page of GeoJSON features and the total number matching the query."""

    features: list[dict]
    number_matched: int

    @property
    def number_returned(self) -> int:
        return len(self.features)


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def visible_source(
    engine: Engine, coll: Collection, audience: Audience = EVERYONE
) -> tuple[str, dict]:
    """The collection's source as ``audience`` may see it: rows inside their scope, small
    counts suppressed when they must be; the SQL and its bound parameters."""
    quote = engine.dialect.identifier_preparer.quote
    params = dict(coll.bind(engine)) if coll.bind else {}
    hidden = dict(coll.small_counts) if audience.suppresses else {}
    columns, seen = ["v.fid", "v.geom"], {"fid", "geom"}
    for name in coll.properties:
        column = f"v.{quote(name)}"
        if name in hidden:
            column = f"{suppressed_sql(column, f'v.{quote(hidden[name])}')} AS {quote(name)}"
        columns.append(column)
        seen.add(name)
    for name in (coll.province_column, coll.commune_column, coll.datetime_column):
        if name and name not in seen:
            columns.append(f"v.{quote(name)}")
            seen.add(name)
    where = "TRUE"
    if not audience.scope.unlimited:
        where = f"v.{quote(coll.province_column)} = ANY(:scope_provinces)"
        if coll.commune_column:
            where = f"({where} OR v.{quote(coll.commune_column)} = ANY(:scope_communes))"
        params["scope_provinces"] = sorted(audience.scope.provinces)
        params["scope_communes"] = sorted(audience.scope.communes)
    if hidden:
        params["min_count"] = audience.min_count
    return f"SELECT {', '.join(columns)} FROM ({coll.source}) v WHERE {where}", params


def _where(conn: Connection, coll: Collection, query: Query) -> tuple[str, dict]:
    clauses, params = ["TRUE"], {}
    if query.bbox is not None:
        minx, miny, maxx, maxy = query.bbox
        if not (minx <= maxx and miny <= maxy and minx >= -180 and maxx <= 180):
            raise InputError(
                f"bbox {query.bbox} is not minLon,minLat,maxLon,maxLat in degrees",
                "give bbox=105.5,19.8,106.7,20.8 (CRS84)",
                field="bbox",
            )
        clauses.append("s.geom && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326)")
        clauses.append("ST_Intersects(s.geom, ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326))")
        params |= {"minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy}
    if query.start or query.end:
        if coll.datetime_column is None:
            raise InputError(
                f"datetime: collection {coll.id!r} has no time",
                "drop the datetime parameter",
                field="datetime",
            )
        column = f"s.{_quote(conn, coll.datetime_column)}"
        if query.start:
            clauses.append(f"{column} >= :start")
            params["start"] = query.start
        if query.end:
            clauses.append(f"{column} <= :end")
            params["end"] = query.end
    for i, (name, value) in enumerate(sorted(query.properties.items())):
        if name not in coll.properties:
            raise InputError(
                f"{name!r} is not a property of {coll.id!r}",
                f"filter on one of: {', '.join(coll.properties)}",
                field=name,
            )
        clauses.append(f"CAST(s.{_quote(conn, name)} AS text) = :p{i}")
        params[f"p{i}"] = value
    return " AND ".join(clauses), params


def _feature_sql(conn: Connection, coll: Collection, source: str, geometry: bool = True) -> str:
    pairs = ", ".join(f"'{p}', s.{_quote(conn, p)}" for p in coll.properties)
    shape = "ST_AsGeoJSON(s.geom, 6)" if geometry else "NULL"
    return (
        f"SELECT s.fid::text AS fid, {shape} AS geometry, "
        f"jsonb_build_object({pairs}) AS properties FROM ({source}) s"
    )


def _as_feature(row) -> dict:
    return {
        "type": "Feature",
        "id": row.fid,
        "geometry": json.loads(row.geometry) if row.geometry else None,
        "properties": row.properties,
    }


def query_items(
    engine: Engine, coll: Collection, query: Query, audience: Audience = EVERYONE
) -> FeaturePage:
    """One page of features of ``coll`` matching ``query`` that ``audience`` may see."""
    if not 1 <= query.limit <= MAX_LIMIT:
        raise InputError(
            f"limit {query.limit} is out of range", f"use 1 to {MAX_LIMIT}", field="limit"
        )
    if query.offset < 0:
        raise InputError(f"offset {query.offset} is negative", "use 0 or more", field="offset")
    source, bound = visible_source(engine, coll, audience)
    with engine.connect() as conn:
        where, params = _where(conn, coll, query)
        params |= bound
        total = conn.scalar(
            sa.text(f"SELECT count(*) FROM ({source}) s WHERE {where}"),
            params,
        )
        rows = conn.execute(
            sa.text(
                f"{_feature_sql(conn, coll, source, not query.skip_geometry)} WHERE {where} "
                "ORDER BY s.fid LIMIT :lim OFFSET :off"
            ),
            params | {"lim": query.limit, "off": query.offset},
        ).all()
    return FeaturePage([_as_feature(r) for r in rows], total)


def get_item(engine: Engine, coll: Collection, fid: str, audience: Audience = EVERYONE) -> dict:
    """One feature by id; NotFound when absent or outside the audience's scope (the same
    answer: existence is not confirmed)."""
    source, bound = visible_source(engine, coll, audience)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(f"{_feature_sql(conn, coll, source)} WHERE s.fid::text = :fid"),
            {**bound, "fid": fid},
        ).first()
    if row is None:
        raise NotFound(
            f"{coll.id}: no feature {fid!r}", f"list them at /collections/{coll.id}/items"
        )
    return _as_feature(row)


def extent(engine: Engine, coll: Collection, audience: Audience = EVERYONE) -> Extent:
    """The bbox and time span of what ``audience`` may see of the collection (None: empty)."""
    source, bound = visible_source(engine, coll, audience)
    with engine.connect() as conn:
        t0 = t1 = "NULL"
        if coll.datetime_column:
            column = f"s.{_quote(conn, coll.datetime_column)}"
            t0, t1 = f"min({column})", f"max({column})"
        row = conn.execute(
            sa.text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1 FROM "
                f"(SELECT ST_Extent(s.geom)::geometry AS e, {t0} AS t0, {t1} AS t1 "
                f"FROM ({source}) s) x"
            ),
            bound,
        ).one()
    bbox = None if row[0] is None else (row[0], row[1], row[2], row[3])
    interval = (row[4], row[5]) if coll.datetime_column else None
    return Extent(bbox, interval)


def page_to_csv(page: FeaturePage, coll: Collection) -> str:
    """The page as CSV: id, the properties, and the geometry as WKT (lon lat)."""
    import csv
    import io

    import shapely

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", *coll.properties, "wkt"])
    for f in page.features:
        geom = shapely.from_geojson(json.dumps(f["geometry"])) if f["geometry"] else None
        props = f["properties"]
        writer.writerow(
            [f["id"], *(props.get(p) for p in coll.properties), geom.wkt if geom else ""]
        )
    return out.getvalue()
