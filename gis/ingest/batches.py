"""Import batches read back: the summary of one batch and its row problems."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.auth import Principal
from gis.errors import NotFound

MAX_PROBLEMS = 10_000


def batch_report(
    engine: Engine,
    batch_id: int,
    reader: Principal | None = None,
    limit: int = MAX_PROBLEMS,
) -> dict:
    """A batch's summary and its first ``limit`` problems (by row).

    A reader below admin sees only the batches they imported: any other is answered as
    missing (its rows may hold addresses from another scope)."""
    missing = NotFound(f"no import batch {batch_id}", "the id is in the upload's answer")
    with engine.connect() as conn:
        batch = (
            conn.execute(
                sa.text(
                    "SELECT id, kind, file_name, sha256, imported_by, imported_at, mode, "
                    "rows_total, rows_imported, rows_rejected, inserted, updated, unchanged, "
                    "warnings, is_synthetic, source FROM import_batch WHERE id = :id"
                ),
                {"id": batch_id},
            )
            .mappings()
            .first()
        )
        if batch is None or (
            reader is not None
            and not reader.at_least("admin")
            and batch["imported_by"] != reader.username
        ):
            raise missing
        problems = conn.execute(
            sa.text(
                "SELECT row_number AS row, column_name AS column, value, message, severity "
                "FROM import_row_error WHERE batch_id = :id "
                "ORDER BY row_number, severity, column_name LIMIT :limit"
            ),
            {"id": batch_id, "limit": limit},
        ).mappings()
        problems = [dict(p) for p in problems]
        total = conn.scalar(
            sa.text("SELECT count(*) FROM import_row_error WHERE batch_id = :id"), {"id": batch_id}
        )
    return {"batch": dict(batch), "problems": problems, "problems_total": total}
