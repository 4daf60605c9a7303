"""What an import is asked to do (`ImportOptions`) and what it did (`ImportResult`);
the import itself is gis.ingest.pipeline's."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from gis.auth import Principal, Scope
from gis.ingest.report import ProblemLog

CHUNK_ROWS = 100_000


@dataclass
class ImportOptions:
    """How to import: mode, dry run, header mapping, defaults for missing columns."""

    skip_bad_rows: bool = False
    dry_run: bool = False
    mapping: dict[str, str] = field(default_factory=dict)  # field key → header in the file
    source: str = "default"  # incidents: source of rows without a source column
    synthetic: bool = False  # label every row as synthetic (demo data)
    imported_by: str | None = None
    chunk_rows: int = CHUNK_ROWS
    scope: Scope | None = None  # rows placed outside it are rejected (uploads by officers)
    actor: Principal | str | None = None  # named in the audit log (default: imported_by)
    file_name: str | None = None  # the name to record (an upload's), not the path read
    # Processes checking the chunks of a file of several (gis.ingest.workers): None: the
    # TUQUAN_IMPORT_WORKERS setting; 0: one per CPU; 1: only the importing process.
    processes: int | None = None


@dataclass
class ImportResult:
    """What an import did (or would do), and every problem found."""

    kind: str
    file: Path
    sha256: str
    format: str
    mode: str
    dry_run: bool
    columns: dict[str, str]  # field key → header used
    ignored_columns: list[str]  # personal data and unrecognised columns
    personal_columns: list[str]
    problems: ProblemLog
    batch_id: int | None = None
    rows_total: int = 0
    rows_imported: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    synthetic_rows: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase

    def _timed(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[phase] = self.timings.get(phase, 0.0) + now - since
        return now

    @property
    def rows_rejected(self) -> int:
        return self.problems.rejected_rows

    @property
    def accepted(self) -> bool:
        """True when the rows were (or, in a dry run, would be) written."""
        return self.problems.errors == 0 or self.mode == "skip_bad_rows"

    @property
    def written(self) -> bool:
        return self.accepted and not self.dry_run

    def summary(self) -> dict:
        """Plain counts for reports and JSON output."""
        return {
            "file": str(self.file), "kind": self.kind, "format": self.format,
            "sha256": self.sha256, "mode": self.mode, "dry_run": self.dry_run,
            "written": self.written, "batch_id": self.batch_id,
            "rows_total": self.rows_total, "rows_imported": self.rows_imported,
            "rows_rejected": self.rows_rejected, "inserted": self.inserted,
            "updated": self.updated, "unchanged": self.unchanged,
            "errors": self.problems.errors, "warnings": self.problems.warnings,
            "columns": self.columns, "ignored_columns": self.ignored_columns,
            "encoding": self.encoding, "delimiter": self.delimiter,
        }  # fmt: skip
