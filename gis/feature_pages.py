"""A page of features written as GeoJSON by PostGIS, for answers too big to build in Python.

`gis.features.query_items` returns features as dicts (the geometry parsed in Python); for a
whole collection of polygons that parse dominates (national communes: ~6 s for 56 MB of
GeoJSON). Here PostGIS writes the page's feature array itself and Python only splices the
text into the response: same features, same order, same filters, scope and suppression.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.errors import InputError
from gis.features import (
    MAX_LIMIT,
    Collection,
    Query,
    _feature_sql,
    _where,
    visible_source,
)
from gis.privacy import EVERYONE, Audience


@dataclass(frozen=True)
class GeoJSONPage:
    """The page's features as the text of a GeoJSON array, and the counts."""

    features_json: str
    number_matched: int
    number_returned: int


def query_geojson(
    engine: Engine, coll: Collection, query: Query, audience: Audience = EVERYONE
) -> GeoJSONPage:
    """`gis.features.query_items`, with the feature array written by PostGIS."""
    if not 1 <= query.limit <= MAX_LIMIT:
        raise InputError(f"limit {query.limit} is out of range", f"use 1 to {MAX_LIMIT}")
    if query.offset < 0:
        raise InputError(f"offset {query.offset} is negative", "use 0 or more")
    source, bound = visible_source(engine, coll, audience)
    with engine.connect() as conn:
        where, params = _where(conn, coll, query)
        params |= bound
        count_sql = f"SELECT count(*) FROM ({source}) s WHERE {where}"  # noqa: S608 — as features.py
        total = conn.scalar(sa.text(count_sql), params)
        page = (
            f"{_feature_sql(conn, coll, source, not query.skip_geometry)} WHERE {where} "
            "ORDER BY s.fid LIMIT :lim OFFSET :off"
        )
        returned, text = conn.execute(
            sa.text(
                "SELECT count(*), coalesce(json_agg(json_build_object('type', 'Feature', "  # noqa: S608
                "'id', f.fid, 'geometry', f.geometry::json, 'properties', f.properties) "
                f"ORDER BY f.fid), '[]')::text FROM ({page}) f"
            ),
            params | {"lim": query.limit, "off": query.offset},
        ).one()
    return GeoJSONPage(text, total, returned)
