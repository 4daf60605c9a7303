"""Write staged rows: one upsert by reference from the staging table (gis.ingest.staging).

Everything happens on one connection inside the caller's transaction: the batch record,
the staging table (dropped at commit), the duplicate check, the upsert and the problems.
Nothing is visible to others until the caller commits, and a killed process commits nothing.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from gis.ingest.report import ProblemLog

STAGING = {
    "incidents": (
        ("row_number", "int4"), ("province_code", "text"), ("source", "text"),
        ("external_ref", "text"), ("occurred_us", "int8"), ("category", "text"),
        ("subcategory", "text"), ("address", "text"), ("commune_code", "text"),
        ("lon", "float8"), ("lat", "float8"), ("precision", "text"), ("score", "float8"),
        ("address_commune_code", "text"), ("is_synthetic", "bool"),
    ),
    "sites": (
        ("row_number", "int4"), ("province_code", "text"), ("ref", "text"), ("name", "text"),
        ("kind", "text"), ("components", "text"), ("status", "text"), ("started_on", "date"),
        ("status_on", "date"), ("is_pilot", "bool"), ("host_unit", "text"), ("address", "text"),
        ("commune_code", "text"), ("lon", "float8"), ("lat", "float8"), ("precision", "text"),
        ("score", "float8"), ("address_commune_code", "text"), ("notes", "text"),
        ("is_synthetic", "bool"),
    ),
}  # fmt: skip
TABLE = {"incidents": "incident_staging", "sites": "site_staging"}
KEY = {"incidents": ("source", "external_ref"), "sites": ("ref",)}


def begin_batch(conn: Connection, batch: dict) -> int:
    """Insert the batch record (counts filled in by `finish_batch`); its id."""
    return conn.execute(
        sa.text(
            "INSERT INTO import_batch (kind, file_name, sha256, imported_by, mode, rows_total, "
            "rows_imported, rows_rejected, inserted, updated, is_synthetic, source) VALUES "
            "(:kind, :file_name, :sha256, :imported_by, :mode, 0, 0, 0, 0, 0, :is_synthetic, "
            ":source) RETURNING id"
        ),
        batch,
    ).scalar_one()


def finish_batch(conn: Connection, batch_id: int, counts: dict) -> None:
    """Record the final counts of a batch."""
    conn.execute(
        sa.text(
            "UPDATE import_batch SET rows_total = :rows_total, rows_imported = :rows_imported, "
            "rows_rejected = :rows_rejected, inserted = :inserted, updated = :updated, "
            "unchanged = :unchanged, warnings = :warnings, is_synthetic = :is_synthetic "
            "WHERE id = :id"
        ),
        {**counts, "id": batch_id},
    )


def duplicates(conn: Connection, kind: str, candidates: list[int]) -> pd.DataFrame:
    """Among ``candidates`` (row numbers), the rows whose key an earlier row already used."""
    if not candidates:
        return pd.DataFrame(columns=["row", "ref", "first_row"])
    key = ", ".join(KEY[kind])
    ref = KEY[kind][-1]
    sql_text = (
        f"SELECT row_number, {ref} AS ref, first_row FROM (SELECT row_number, {ref}, "  # noqa: S608
        f"min(row_number) OVER (PARTITION BY {key}) AS first_row FROM {TABLE[kind]} "
        "WHERE row_number = ANY(:rows)) d WHERE row_number <> first_row ORDER BY row_number"
    )  # identifiers are constants of this module
    rows = conn.execute(sa.text(sql_text), {"rows": candidates}).all()
    return pd.DataFrame(rows, columns=["row", "ref", "first_row"])


def drop_rows(conn: Connection, kind: str, rows: list[int]) -> None:
    """Remove rows from staging (duplicates, in skip-bad-rows mode)."""
    if rows:
        conn.execute(
            sa.text(f"DELETE FROM {TABLE[kind]} WHERE row_number = ANY(:rows)"),  # noqa: S608
            {"rows": rows},
        )


def store_problems(conn: Connection, batch_id: int, log: ProblemLog) -> None:
    """COPY the batch's problems into import_row_error."""
    raw = conn.connection.driver_connection
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY import_row_error (batch_id, row_number, column_name, value, message, severity) "
            "FROM STDIN"
        ) as copy,
    ):
        for row in log.copy_rows():
            copy.write_row((batch_id, *row))


_INCIDENT_VALUES = (
    "occurred_at", "category", "subcategory", "address", "commune_code", "geom", "precision",
    "score", "address_commune_code", "is_synthetic",
)  # fmt: skip


def upsert_incidents(conn: Connection, batch_id: int) -> dict[str, int]:
    """Insert new incidents, update changed ones (by province, source, reference)."""
    conn.execute(sa.text("ANALYZE incident_staging"))
    # An incident whose corrected point moved it to another province changes its key:
    # remove the old copy so that the reference stays unique within its source.
    moved = conn.execute(
        sa.text(
            "DELETE FROM incident i USING incident_staging s WHERE i.source = s.source "
            "AND i.external_ref = s.external_ref AND i.province_code <> s.province_code"
        )
    ).rowcount
    changed = " OR ".join(f"t.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in _INCIDENT_VALUES)
    assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in _INCIDENT_VALUES)
    inserted, updated = conn.execute(
        sa.text(
            f"""
            WITH up AS (
                INSERT INTO incident AS t (province_code, source, external_ref, occurred_at,
                    category, subcategory, address, commune_code, geom, precision, score,
                    address_commune_code, import_batch_id, is_synthetic)
                SELECT province_code, source, external_ref,
                       timestamptz 'epoch' + occurred_us * interval '1 microsecond',
                       category, subcategory, address, commune_code,
                       ST_SetSRID(ST_MakePoint(lon, lat), 4326), precision, score,
                       address_commune_code, :batch, is_synthetic
                  FROM incident_staging
                 ORDER BY province_code, source, external_ref
                ON CONFLICT (province_code, source, external_ref) DO UPDATE
                   SET {assignments}, import_batch_id = EXCLUDED.import_batch_id,
                       updated_at = now()
                 WHERE {changed}
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up
            """  # noqa: S608 — identifiers are constants of this module
        ),
        {"batch": batch_id},
    ).one()
    return {"inserted": inserted - moved, "updated": updated + moved}


_SITE_VALUES = (
    "name", "kind", "components", "status", "started_on", "host_unit", "address",
    "commune_code", "geom", "precision", "score", "address_commune_code", "notes",
    "is_synthetic",
)  # fmt: skip


def upsert_sites(conn: Connection, batch_id: int, by: str) -> dict[str, int]:
    """Insert new sites, update changed ones (by province and reference), with history."""
    # A site whose reference now lies in another province keeps its id and history.
    moved = conn.execute(
        sa.text(
            "UPDATE site t SET province_code = s.province_code FROM site_staging s "
            "WHERE t.ref = s.ref AND t.province_code <> s.province_code AND NOT EXISTS "
            "(SELECT 1 FROM site o WHERE o.province_code = s.province_code AND o.ref = s.ref)"
        )
    ).rowcount
    conn.execute(
        sa.text(
            "CREATE TEMP TABLE site_before ON COMMIT DROP AS SELECT t.id, t.status "
            "FROM site t JOIN site_staging s USING (province_code, ref)"
        )
    )
    changed = " OR ".join(f"t.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in _SITE_VALUES)
    assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in _SITE_VALUES)
    conn.execute(
        sa.text(
            f"""
            CREATE TEMP TABLE site_upserted ON COMMIT DROP AS
            WITH up AS (
                INSERT INTO site AS t (ref, name, kind, components, status, started_on,
                    host_unit, address, province_code, commune_code, geom, precision, score,
                    address_commune_code, notes, import_batch_id, is_synthetic, created_by,
                    updated_by)
                SELECT ref, name, kind, components::smallint[], status, started_on, host_unit,
                       address, province_code, commune_code,
                       ST_SetSRID(ST_MakePoint(lon, lat), 4326), precision, score,
                       address_commune_code, notes, :batch, is_synthetic, :by, :by
                  FROM site_staging
                ON CONFLICT (province_code, ref) DO UPDATE
                   SET {assignments}, import_batch_id = EXCLUDED.import_batch_id,
                       updated_by = EXCLUDED.updated_by, updated_at = now()
                 WHERE {changed}
                RETURNING t.id, t.province_code, t.ref, (xmax = 0) AS inserted
            )
            SELECT * FROM up
            """  # noqa: S608 — identifiers are constants of this module
        ),
        {"batch": batch_id, "by": by},
    )
    _site_history(conn, batch_id, by)
    inserted, updated = conn.execute(
        sa.text(
            "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) "
            "FROM site_upserted"
        )
    ).one()
    return {"inserted": inserted, "updated": updated + moved}


def _site_history(conn: Connection, batch_id: int, by: str) -> None:
    """Dated status history: the start (and current status) of new sites, changes of others."""
    params = {"by": by, "note": f"import #{batch_id}"}
    conn.execute(
        sa.text(
            """
            WITH new AS (
                SELECT u.id, s.status, s.status_on, s.started_on,
                       CASE WHEN s.status = 'planned' THEN 'planned'
                            WHEN s.status = 'pilot' OR s.is_pilot THEN 'pilot'
                            ELSE 'replicated' END AS first_status
                  FROM site_upserted u JOIN site_staging s USING (province_code, ref)
                 WHERE u.inserted
            )
            INSERT INTO site_status_history (site_id, status, changed_on, changed_by, note)
            SELECT id, first_status,
                   CASE WHEN first_status = 'planned'
                        THEN coalesce(status_on, started_on, current_date)
                        ELSE coalesce(started_on, status_on, current_date) END, :by, :note
              FROM new
            UNION ALL
            SELECT id, status, coalesce(status_on, current_date), :by, :note
              FROM new WHERE status <> first_status
            """
        ),
        params,
    )
    conn.execute(
        sa.text(
            "INSERT INTO site_status_history (site_id, status, changed_on, changed_by, note) "
            "SELECT b.id, s.status, coalesce(s.status_on, current_date), :by, :note "
            "FROM site_before b JOIN site t ON t.id = b.id "
            "JOIN site_staging s ON s.province_code = t.province_code AND s.ref = t.ref "
            "WHERE b.status <> s.status"
        ),
        params,
    )
