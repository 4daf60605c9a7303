"""The geocode cache table: results keyed on the normalised text and the boundary version.

A batch reads its keys in one query and writes its new results in one transaction (one
COPY). Entries are stored without their empty fields and without the text (the key is the
text); both come back on reading.
"""

from __future__ import annotations

import json

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.geocode_result import GeocodeResult

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # one C encoder


def fetch(engine: Engine, keys: list[str], version: int, mode: str) -> dict[str, GeocodeResult]:
    """Cached results of these keys computed against this boundary version."""
    if not keys:
        return {}
    # As text, decoded here: psycopg's per-row jsonb loader is several times slower.
    sql = sa.text(
        "SELECT key, CAST(result AS text) FROM geocode_cache WHERE mode = :mode "
        "AND boundary_version = :version AND key = ANY(:keys)"
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, {"mode": mode, "version": version, "keys": keys}).all()
    decode = json.loads
    return {key: GeocodeResult.from_dict({**decode(result), "text": key}) for key, result in rows}


def store(engine: Engine, results: dict[str, GeocodeResult], version: int, mode: str) -> None:
    """Write results and drop stale versions, in one transaction.

    The keys are new as a rule (the batch read the cache first): one COPY straight into the
    table, a quarter less work for the server than through a staging table. Should another
    writer have stored one of them meanwhile, the COPY is rolled back (a savepoint) and the
    rows go through a staging table and an upsert instead.
    """
    if not results:
        return
    encode = _ENCODER.encode
    rows = [(key, encode(result.compact_dict())) for key, result in results.items()]
    with engine.begin() as conn:
        # A cache: losing the last writes in a server crash costs a recomputation, so the
        # commit need not wait for the disk.
        conn.execute(sa.text("SET LOCAL synchronous_commit TO off"))
        # Two ranges, not <>: the boundary_version index finds the stale rows, no full scan.
        conn.execute(
            sa.text(
                "DELETE FROM geocode_cache WHERE boundary_version < :v OR boundary_version > :v"
            ),
            {"v": version},
        )
        raw = conn.connection.driver_connection
        try:
            with conn.begin_nested(), raw.cursor() as cur:
                sql = "COPY geocode_cache (key, mode, boundary_version, result) FROM STDIN"
                with cur.copy(sql) as copy:
                    for key, result in rows:
                        copy.write_row((key, mode, version, result))
        except psycopg.errors.UniqueViolation:
            _upsert(conn, rows, version, mode)


def _upsert(conn, rows: list[tuple[str, str]], version: int, mode: str) -> None:
    """COPY into a staging table, then insert or replace (keys already in the cache)."""
    conn.execute(
        sa.text("CREATE TEMP TABLE geocode_cache_staging (key text, result jsonb) ON COMMIT DROP")
    )
    raw = conn.connection.driver_connection
    with (
        raw.cursor() as cur,
        cur.copy("COPY geocode_cache_staging (key, result) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
    # The keys are distinct (a dict's), so no DISTINCT ON: the upsert needs no sort.
    conn.execute(
        sa.text(
            "INSERT INTO geocode_cache (key, mode, boundary_version, result) "
            "SELECT key, :mode, :v, result FROM geocode_cache_staging "
            "ON CONFLICT (key, mode) DO UPDATE SET result = EXCLUDED.result, "
            "boundary_version = EXCLUDED.boundary_version, created_at = now()"
        ),
        {"mode": mode, "v": version},
    )


def clear(engine: Engine) -> int:
    """Empty the cache; the number of entries removed.

    TRUNCATE, not DELETE: no dead rows are left behind for the next writes to step over
    (every insert checks the key index, dead entries included, until a vacuum).
    """
    with engine.begin() as conn:
        removed = conn.scalar(sa.text("SELECT count(*) FROM geocode_cache"))
        conn.execute(sa.text("TRUNCATE geocode_cache"))
    return removed
