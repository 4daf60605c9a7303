"""The geocode cache table: results keyed on the normalised text and the boundary version."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.geocode_result import GeocodeResult


def fetch(engine: Engine, keys: list[str], version: int, mode: str) -> dict[str, GeocodeResult]:
    """Cached results of these keys computed against this boundary version."""
    if not keys:
        return {}
    sql = sa.text(
        "SELECT key, result FROM geocode_cache WHERE mode = :mode "
        "AND boundary_version = :version AND key = ANY(:keys)"
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, {"mode": mode, "version": version, "keys": keys}).all()
    return {key: GeocodeResult.from_dict(result) for key, result in rows}


def store(engine: Engine, results: dict[str, GeocodeResult], version: int, mode: str) -> None:
    """Write results (one transaction, COPY then upsert) and drop stale versions."""
    if not results:
        return
    with engine.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM geocode_cache WHERE boundary_version <> :v"), {"v": version}
        )
        conn.execute(
            sa.text(
                "CREATE TEMP TABLE geocode_cache_staging (key text, result jsonb) ON COMMIT DROP"
            )
        )
        raw = conn.connection.driver_connection
        with (
            raw.cursor() as cur,
            cur.copy("COPY geocode_cache_staging (key, result) FROM STDIN") as copy,
        ):
            for key, result in results.items():
                payload = result.as_dict()
                payload["text"] = key
                copy.write_row((key, json.dumps(payload, ensure_ascii=False)))
        conn.execute(
            sa.text(
                "INSERT INTO geocode_cache (key, mode, boundary_version, result) "
                "SELECT DISTINCT ON (key) key, :mode, :v, result FROM geocode_cache_staging "
                "ON CONFLICT (key, mode) DO UPDATE SET result = EXCLUDED.result, "
                "boundary_version = EXCLUDED.boundary_version, created_at = now()"
            ),
            {"mode": mode, "v": version},
        )


def clear(engine: Engine) -> int:
    """Empty the cache; the number of entries removed."""
    with engine.begin() as conn:
        return conn.execute(sa.text("DELETE FROM geocode_cache")).rowcount
