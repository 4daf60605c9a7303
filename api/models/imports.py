"""Uploads to the import path: the validation report, as the CLI writes it, in JSON."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class RowProblemOut(BaseModel):
    """A problem with one cell, row or the header."""

    row: int
    column: str | None
    value: str | None
    message: str
    severity: str = Field(description="error (row not imported) | warning (imported, flagged)")


class ImportSummary(BaseModel):
    """What the import did (or, in a dry run, would do)."""

    file: str
    kind: str
    format: str
    sha256: str
    mode: str
    dry_run: bool
    written: bool
    batch_id: int | None
    rows_total: int
    rows_imported: int
    rows_rejected: int
    inserted: int
    updated: int
    unchanged: int
    errors: int
    warnings: int
    columns: dict[str, str]
    ignored_columns: list[str]
    encoding: str | None
    delimiter: str | None


class ImportReport(BaseModel):
    """The summary and the problems (the first ones when there are very many)."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "summary": {"kind": "incidents", "rows_total": 120, "rows_imported": 118},
                    "problems": [
                        {
                            "row": 7,
                            "column": "Ngày",
                            "value": "31/02/2024",
                            "message": "ngày không tồn tại / no such date",
                            "severity": "error",
                        }
                    ],
                    "problems_total": 2,
                }
            ]
        }
    }
    summary: ImportSummary
    problems: list[RowProblemOut]
    problems_total: int


class BatchOut(BaseModel):
    """A stored import batch."""

    id: int
    kind: str
    file_name: str
    sha256: str
    imported_by: str
    imported_at: dt.datetime
    mode: str
    rows_total: int
    rows_imported: int
    rows_rejected: int
    inserted: int
    updated: int
    unchanged: int
    warnings: int
    is_synthetic: bool
    source: str | None


class BatchReport(BaseModel):
    """A batch and its row problems."""

    batch: BatchOut
    problems: list[RowProblemOut]
    problems_total: int
