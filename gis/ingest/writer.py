"""Write staged rows: binary COPY into a temporary table, then one upsert by reference.

Everything happens on one connection inside the caller's transaction: the batch record,
the staging table (dropped at commit), the duplicate check, the upsert and the problems.
Nothing is visible to others until the caller commits, and a killed process commits nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from psycopg import adapters, pq, sql
from psycopg.adapt import Transformer
from sqlalchemy.engine import Connection

from gis.ingest.report import ProblemLog

try:  # the formatter of cursor.copy(), unbound: not psycopg's public API (3.2+)
    from psycopg._copy_base import BinaryFormatter
except ImportError:  # another psycopg: chunks are formatted while sent, in the importer
    BinaryFormatter = None

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


def create_staging(conn: Connection, kind: str) -> None:
    """The temporary staging table of ``kind`` (gone at the end of the transaction)."""
    table = TABLE[kind]
    columns = ", ".join(f"{name} {type_}" for name, type_ in STAGING[kind])
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
    conn.execute(sa.text(f"CREATE TEMP TABLE {table} ({columns}) ON COMMIT DROP"))


@dataclass
class StagedCopy:
    """A chunk of staged rows ready for COPY: the columns holding one value (set as the
    staging table's defaults) and the binary COPY data of the others. Plain bytes and
    values: built anywhere (a worker process), written on the import's connection."""

    rows: int
    defaults: list[tuple[str, str, object]]  # (column, type, value or None)
    columns: list[tuple[str, str]]  # (column, type) of the data, in order
    data: bytes  # signature, rows and trailer of PostgreSQL's binary COPY format


def format_staged(kind: str, staged: pd.DataFrame) -> StagedCopy:
    """The binary COPY of a chunk of staged rows, formatted by psycopg's own dumpers with
    no connection (in any process: a worker's); text in UTF-8, for a UTF-8 connection."""
    defaults, varying = _plan(kind, staged)
    transformer = Transformer()
    transformer.set_dumper_types(
        [adapters.types[type_].oid for _, type_ in varying], pq.Format.BINARY
    )
    formatter = BinaryFormatter(transformer)
    data = bytearray()
    for row in _rows(staged, varying):
        data += formatter.write_row(row)
    data += formatter.end()
    return StagedCopy(len(staged), defaults, varying, bytes(data))


def copy_staged(conn: Connection, kind: str, staged: pd.DataFrame | StagedCopy) -> None:
    """Binary COPY of a chunk of staged rows: formatted already (`format_staged`), or
    formatted here while the server takes in the rows sent before (the fastest path
    psycopg offers in one process).

    A column holding one value in the whole chunk (the source, 'coordinates', an empty
    address…) becomes the staging column's default for this chunk instead of being sent
    row by row: COPY then carries only what varies.
    """
    frame = isinstance(staged, pd.DataFrame)
    if not (len(staged) if frame else staged.rows):
        return
    defaults, varying = _plan(kind, staged) if frame else (staged.defaults, staged.columns)
    raw = conn.connection.driver_connection
    table = TABLE[kind]
    with raw.cursor() as cur:
        for name, type_, value in defaults:
            default = (
                sql.SQL("DROP DEFAULT")
                if value is None
                else sql.SQL("SET DEFAULT {}::{}").format(sql.Literal(value), sql.SQL(type_))
            )
            cur.execute(
                sql.SQL("ALTER TABLE {} ALTER COLUMN {} {}").format(
                    sql.Identifier(table), sql.Identifier(name), default
                )
            )
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(n) for n, _ in varying)
    )
    with raw.cursor() as cur, cur.copy(statement) as copy:
        if frame:
            copy.set_types([type_ for _, type_ in varying])
            for row in _rows(staged, varying):
                copy.write_row(row)
            return
        view = memoryview(staged.data)
        for start in range(0, len(view), COPY_BLOCK):
            copy.write(view[start : start + COPY_BLOCK])


def _plan(kind: str, staged: pd.DataFrame):
    """(column, type, value) of the columns holding one value; (column, type) of the rest."""
    defaults, varying = [], []
    for name, type_ in STAGING[kind]:
        value = _single_value(staged[name]) if name not in ALWAYS_SENT else _VARIES
        if value is _VARIES:
            varying.append((name, type_))
        else:
            defaults.append((name, type_, value))
    return defaults, varying


def _rows(staged: pd.DataFrame, varying):
    return zip(*(_plain(staged[name]) for name, _ in varying), strict=True)


COPY_BLOCK = 1 << 20
ALWAYS_SENT = ("row_number", "external_ref", "ref")
_VARIES = object()


def _single_value(column: pd.Series):
    """The one value of a column (None when all missing), or _VARIES."""
    # Most columns that vary show it within a few rows: decided on them, without a pass
    # over the whole chunk (two different values, or a missing and a present one).
    sample = column.iloc[:: max(1, len(column) // 16)]
    absent = sample.isna()
    if (absent.any() and not absent.all()) or (not absent.any() and sample.nunique() > 1):
        return _VARIES
    missing = column.isna()
    if missing.all():
        return None
    if missing.any():
        return _VARIES
    first = column.iloc[0]
    if isinstance(first, np.generic):
        first = first.item()
    return first if (column == first).all() else _VARIES


def _plain(column: pd.Series) -> list:
    """Python values for COPY: numpy scalars as int/float/bool, NaN and NaT as None."""
    values = column.to_numpy()
    if values.dtype.kind in "iufb":
        return values.tolist()
    return column.astype(object).where(column.notna(), None).tolist()


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
