"""Write checked units into admin_unit: COPY into a staging table, then one upsert.

Runs inside the caller's transaction, so a failure anywhere leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis import audit
from gis.errors import InputError

STAGING_COLUMNS = ("code", "level", "parent_code", "name", "full_name", "name_en", "unit_type")


@dataclass
class SourceRecord:
    """What is being loaded and from where, as kept in boundary_source."""

    name: str
    level: str
    origin: str
    files: dict[str, str]  # relative path → sha256
    province_code: str | None = None
    commit: str | None = None
    licence: str | None = None
    attribution: str | None = None
    valid_from: date = date(2025, 7, 1)
    options: dict = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        payload = json.dumps(
            [self.level, self.province_code, sorted(self.files.items()), self.options],
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class LoadResult:
    """What a load changed."""

    source_id: int
    inserted: dict[str, int]
    updated: dict[str, int]
    unchanged: bool = False
    repairs: list[dict] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.inserted.values()) + sum(self.updated.values())


def _already_loaded(conn: Connection, source: SourceRecord, codes: list[str]) -> int | None:
    """The id of an identical earlier load whose units are all still in place."""
    row = conn.execute(
        sa.text(
            "SELECT id, feature_count FROM boundary_source "
            "WHERE fingerprint = :fp ORDER BY id DESC LIMIT 1"
        ),
        {"fp": source.fingerprint},
    ).first()
    if row is None or row.feature_count != len(codes):
        return None
    in_place = conn.scalar(
        sa.text("SELECT count(*) FROM admin_unit WHERE source_id = :id AND code = ANY(:codes)"),
        {"id": row.id, "codes": codes},
    )
    return row.id if in_place == len(codes) else None


def _copy_staging(conn: Connection, units: gpd.GeoDataFrame) -> None:
    conn.execute(sa.text("DROP TABLE IF EXISTS unit_staging"))  # an earlier load, same transaction
    conn.execute(
        sa.text(
            "CREATE TEMP TABLE unit_staging (code text PRIMARY KEY, level text, "
            "parent_code text, name text, full_name text, name_en text, unit_type text, "
            "wkb bytea) ON COMMIT DROP"
        )
    )
    wkbs = shapely.to_wkb(units.geometry.array, byte_order=1)
    raw = conn.connection.driver_connection
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY unit_staging ({', '.join(STAGING_COLUMNS)}, wkb) FROM STDIN") as copy,
    ):
        for values, wkb in zip(
            units[list(STAGING_COLUMNS)].itertuples(index=False), wkbs, strict=True
        ):
            copy.write_row((*values, wkb))


def _fill_parents(conn: Connection) -> None:
    """Communes without a parent get the province whose polygon holds them."""
    conn.execute(
        sa.text(
            """
            WITH provinces AS (
                SELECT code, geom FROM admin_unit WHERE level = 'province'
                  AND code NOT IN (SELECT code FROM unit_staging)
                UNION ALL
                SELECT code, ST_SetSRID(ST_GeomFromWKB(wkb), 4326) FROM unit_staging
                 WHERE level = 'province'
            )
            UPDATE unit_staging s SET parent_code = (
                SELECT p.code FROM provinces p
                 WHERE ST_Intersects(
                     p.geom, ST_PointOnSurface(ST_SetSRID(ST_GeomFromWKB(s.wkb), 4326)))
                 ORDER BY p.code LIMIT 1)
             WHERE s.level = 'commune' AND s.parent_code IS NULL
            """
        )
    )


def _check_staging(conn: Connection) -> None:
    clashes = conn.execute(
        sa.text(
            "SELECT s.code, a.level FROM unit_staging s JOIN admin_unit a USING (code) "
            "WHERE a.level <> s.level ORDER BY s.code"
        )
    ).all()
    if clashes:
        code, level = clashes[0]
        raise InputError(
            f"unit {code} is already loaded as a {level}; "
            f"{len(clashes)} code(s) would change level",
            "check --level and the code field",
        )
    orphans = (
        conn.execute(
            sa.text(
                "SELECT code FROM unit_staging WHERE level = 'commune' AND (parent_code IS NULL "
                "OR parent_code NOT IN (SELECT code FROM admin_unit WHERE level = 'province' "
                "UNION SELECT code FROM unit_staging WHERE level = 'province')) ORDER BY code"
            )
        )
        .scalars()
        .all()
    )
    if orphans:
        raise InputError(
            f"{len(orphans)} commune(s) have no province to belong to "
            f"(e.g. {', '.join(orphans[:5])})",
            "load the province outline first (`tuquan boundaries fetch --province all`) "
            "or name the province with --parent CODE / --parent-field FIELD",
        )


_UPSERT = """
INSERT INTO admin_unit AS a (code, level, parent_code, name, full_name, name_en, unit_type,
                             area_km2, geom, source_id, valid_from)
SELECT code, level, parent_code, name, full_name, name_en, unit_type,
       ST_Area(g::geography) / 1e6, g, :source_id, :valid_from
  FROM (SELECT *, ST_Multi(ST_SetSRID(ST_GeomFromWKB(wkb), 4326)) AS g
          FROM unit_staging WHERE level = :level) s
ON CONFLICT (code) DO UPDATE SET
    parent_code = EXCLUDED.parent_code, name = EXCLUDED.name, full_name = EXCLUDED.full_name,
    name_en = EXCLUDED.name_en, unit_type = EXCLUDED.unit_type, area_km2 = EXCLUDED.area_km2,
    geom = EXCLUDED.geom, source_id = EXCLUDED.source_id, valid_from = EXCLUDED.valid_from
RETURNING (xmax = 0) AS inserted
"""


def _unit_counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(sa.text("SELECT level, count(*) FROM admin_unit GROUP BY level")).all()
    return {level: n for level, n in rows}


def store_units(
    conn: Connection,
    units: gpd.GeoDataFrame,
    source: SourceRecord,
    repairs: list[dict],
    actor: str | None = None,
) -> LoadResult:
    """Upsert ``units`` (with a ``level`` column) and record the load; idempotent.

    A load that changes something is in the audit log (``actor``, by default the shell user)
    with its files and their sha256 and the unit counts before and after.
    """
    codes = units["code"].tolist()
    previous = _already_loaded(conn, source, codes)
    if previous is not None:
        return LoadResult(previous, {}, {}, unchanged=True, repairs=repairs)
    counts_before = _unit_counts(conn)
    source_id = conn.execute(
        sa.text(
            "INSERT INTO boundary_source (name, level, province_code, origin, commit, files, "
            "licence, attribution, feature_count, repairs, fingerprint) VALUES (:name, :level, "
            ":province, :origin, :commit, CAST(:files AS jsonb), :licence, :attribution, "
            ":count, CAST(:repairs AS jsonb), :fingerprint) RETURNING id"
        ),
        {
            "name": source.name,
            "level": source.level,
            "province": source.province_code,
            "origin": source.origin,
            "commit": source.commit,
            "files": json.dumps(source.files),
            "fingerprint": source.fingerprint,
            "licence": source.licence,
            "attribution": source.attribution,
            "count": len(codes),
            "repairs": json.dumps(repairs, ensure_ascii=False),
        },
    ).scalar_one()
    _copy_staging(conn, units)
    _fill_parents(conn)
    _check_staging(conn)
    inserted: dict[str, int] = {}
    updated: dict[str, int] = {}
    for level in ("province", "commune"):  # parents first, for the foreign key
        flags = (
            conn.execute(
                sa.text(_UPSERT),
                {"source_id": source_id, "valid_from": source.valid_from, "level": level},
            )
            .scalars()
            .all()
        )
        if flags:
            inserted[level] = sum(flags)
            updated[level] = len(flags) - sum(flags)
    _provinces_from_communes(conn)
    after = {"units": _unit_counts(conn), "name": source.name, "level": source.level,
             "province_code": source.province_code, "origin": source.origin,
             "commit": source.commit, "files": source.files, "features": len(codes),
             "inserted": inserted, "updated": updated, "repairs": len(repairs)}  # fmt: skip
    audit.record(
        conn, actor or audit.os_actor(), "load", "boundary_source", source_id,
        {"units": counts_before}, after,
    )  # fmt: skip
    return LoadResult(source_id, inserted, updated, repairs=repairs)


def _provinces_from_communes(conn: Connection) -> None:
    """A province whose communes are loaded takes their union as its polygon.

    The published province outlines are simplified (coastal communes reach up to 6 km
    past them); the union of the full-resolution communes is exact and shares their edges.
    """
    conn.execute(
        sa.text(
            """
            WITH touched AS (
                SELECT code FROM unit_staging WHERE level = 'province'
                UNION SELECT parent_code FROM unit_staging WHERE level = 'commune'
            ), unioned AS (
                SELECT parent_code AS code,
                       ST_Multi(ST_CollectionExtract(ST_Union(geom), 3)) AS geom
                  FROM admin_unit
                 WHERE level = 'commune' AND parent_code IN (SELECT code FROM touched)
                 GROUP BY parent_code
            )
            UPDATE admin_unit p
               SET geom = u.geom, area_km2 = ST_Area(u.geom::geography) / 1e6
              FROM unioned u
             WHERE p.code = u.code
            """
        )
    )
