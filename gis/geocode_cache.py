"""The geocode cache table: results keyed on the normalised text and the boundary version.

A batch reads its keys in one query and writes its new results in one transaction (one
COPY). Entries are stored without their empty fields and without the text (the key is the
text); both come back on reading. Each entry carries the geocoder's version (``gv``): an
entry written by another version of the matching is never served, and is replaced when
the key is stored again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from functools import cache
from importlib import metadata

import orjson
import psycopg
import sqlalchemy as sa
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy.engine import Connection, Engine

from gis.geocode_result import GeocodeResult

# Bump whenever the matching changes what an address resolves to (gis/address_*.py,
# gis/gazetteer.py, gis/geocoding.py, gis/normalise.py): cached answers of an older
# matcher are then recomputed instead of served.
GEOCODER_VERSION = 3

_ANY_ROW = sa.text(
    "SELECT EXISTS (SELECT 1 FROM geocode_cache WHERE mode = :mode AND boundary_version = :version)"
)


@cache
def geocoder_version() -> str:
    """This matcher and the crosswalk it reads (the vietnamadminunits release)."""
    return f"{GEOCODER_VERSION}+vietnamadminunits-{metadata.version('vietnamadminunits')}"


def fetch(
    engine: Engine, keys: list[str], version: int, mode: str, matcher: str | None = None
) -> dict[str, GeocodeResult]:
    """Cached results of these keys computed against this boundary version by this
    geocoder version (``matcher``, default `geocoder_version()`)."""
    if not keys:
        return {}
    # As text, decoded here: psycopg's per-row json loader is several times slower.
    sql = (
        "SELECT key, CAST(result AS text) FROM geocode_cache WHERE mode = %s "
        "AND boundary_version = %s AND key = ANY(%s) AND result->>'gv' = %s"
    )
    with engine.connect() as conn:
        # A cold cache (emptied, or filled for other boundaries): one index probe, instead
        # of shipping every key to the server (~35 ms for 10k keys).
        if not conn.scalar(_ANY_ROW, {"mode": mode, "version": version}):
            return {}
        # Straight through psycopg: SQLAlchemy's parameter handling doubles the time of
        # a 10k-key array.
        with conn.connection.driver_connection.cursor() as cur:
            cur.execute(sql, (mode, version, keys, matcher or geocoder_version()))
            rows = cur.fetchall()
    decode = orjson.loads  # several times faster than json.loads on these small objects
    out = {}
    for key, result in rows:
        data = decode(result)
        del data["gv"]
        data["text"] = key
        out[key] = GeocodeResult.from_dict(data)
    return out


def store(
    engine: Engine,
    results: dict[str, GeocodeResult],
    version: int,
    mode: str,
    matcher: str | None = None,
) -> None:
    """Write results and drop stale versions, in one transaction (see `writer`)."""
    store_modes(engine, {mode: results}, version, matcher)


def store_modes(
    engine: Engine,
    by_mode: dict[str, dict[str, GeocodeResult]],
    version: int,
    matcher: str | None = None,
) -> None:
    """`store` for several modes at once (online answers and offline fallbacks), in one
    transaction."""
    by_mode = {mode: results for mode, results in by_mode.items() if results}
    if not by_mode:
        return
    with _transaction(engine, version) as conn:
        for mode, results in by_mode.items():
            with _copying(conn, version, mode, matcher) as add:
                add(results)


@contextlib.contextmanager
def writer(
    engine: Engine, version: int, mode: str, matcher: str | None = None
) -> Iterator[Callable[[dict[str, GeocodeResult]], None]]:
    """``add(results)`` as results come; all written in one transaction at the end.

    The rows go out as they are added: the server parses and indexes the first results
    while the batch resolves the rest. Stale versions are dropped in the same transaction.
    """
    with _transaction(engine, version) as conn, _copying(conn, version, mode, matcher) as add:
        yield add


@contextlib.contextmanager
def _transaction(engine: Engine, version: int) -> Iterator[Connection]:
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
        yield conn


@contextlib.contextmanager
def _copying(
    conn: Connection, version: int, mode: str, matcher: str | None
) -> Iterator[Callable[[dict[str, GeocodeResult]], None]]:
    """One COPY of new keys straight into the table, fed by ``add``.

    The keys are new as a rule (the batch read the cache first): a quarter less work for
    the server than through a staging table. Should another writer have stored one of
    them meanwhile, the COPY is rolled back (a savepoint) and the rows go through a staging
    table and an upsert instead.
    """
    encode = orjson.dumps  # ~6x faster than the standard encoder here (float repr)
    # The version goes in front of each entry's JSON: no copy of its dict.
    tag = b'{"gv":' + encode(matcher or geocoder_version()) + b","
    kept: dict[str, GeocodeResult] = {}
    failed = False

    def add(results: dict[str, GeocodeResult]) -> None:
        nonlocal failed
        kept.update(results)
        if failed:
            return
        try:
            for key, r in results.items():
                copy.write_row((key, mode, version, (tag + encode(r.compact_dict())[1:]).decode()))
        except psycopg.errors.UniqueViolation:
            failed = True  # the upsert below writes them all

    savepoint = conn.begin_nested()
    raw = conn.connection.driver_connection
    sql = "COPY geocode_cache (key, mode, boundary_version, result) FROM STDIN"
    try:
        # A thread sends the rows (waiting on the server releases the GIL): the batch goes
        # on resolving while the server takes them in.
        with raw.cursor() as cur, cur.copy(sql, writer=QueuedLibpqWriter(cur)) as copy:
            yield add
            if failed:
                raise psycopg.errors.UniqueViolation("a key was stored meanwhile")
        savepoint.commit()
    except psycopg.errors.UniqueViolation:
        savepoint.rollback()
        rows = [(key, (tag + encode(r.compact_dict())[1:]).decode()) for key, r in kept.items()]
        _upsert(conn, rows, version, mode)
    except BaseException:
        savepoint.rollback()
        raise


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
    conn.execute(sa.text("DROP TABLE geocode_cache_staging"))  # the next mode makes its own


def clear(engine: Engine) -> int:
    """Empty the cache; the number of entries removed.

    TRUNCATE, not DELETE: no dead rows are left behind for the next writes to step over
    (every insert checks the key index, dead entries included, until a vacuum).
    """
    with engine.begin() as conn:
        removed = conn.scalar(sa.text("SELECT count(*) FROM geocode_cache"))
        conn.execute(sa.text("TRUNCATE geocode_cache"))
    return removed
