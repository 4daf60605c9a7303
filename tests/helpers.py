"""Small helpers shared by tests (no fixtures here)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def snapshot(engine: Engine, *tables: str) -> dict[str, str]:
    """A digest of every row of ``tables``: equal digests mean unchanged data."""
    out = {}
    with engine.connect() as conn:
        for table in tables:
            quoted = conn.dialect.identifier_preparer.quote(table)
            out[table] = conn.scalar(
                sa.text(
                    f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                    f"FROM {quoted} t"
                )
            )
    return out


def count(engine: Engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text(sql), params)
