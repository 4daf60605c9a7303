"""Small helpers shared by tests (no fixtures here)."""

from __future__ import annotations

import time
from collections.abc import Callable

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


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 120.0) -> None:
    """Poll ``condition()`` until it holds; fail naming ``what`` if it never does."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
