"""The staging table of an import: created per transaction, filled by binary COPY.

A chunk of staged rows is formatted for COPY where it is checked (`format_staged`, in a
worker) or while it is sent (`copy_staged`, in the importer); the upsert into the records
is gis.ingest.writer's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from psycopg import adapters, pq, sql
from psycopg.adapt import Transformer
from sqlalchemy.engine import Connection

from gis.ingest.writer import STAGING, TABLE

try:  # the formatter of cursor.copy(), unbound: not psycopg's public API (3.2+)
    from psycopg._copy_base import BinaryFormatter
except ImportError:  # another psycopg: chunks are formatted while sent, in the importer
    BinaryFormatter = None


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
