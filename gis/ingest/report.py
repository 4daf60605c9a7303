"""The validation report: one line per problem (row, column, value, message, severity).

Problems are spooled to a temporary file as they are found, so a file where every row is
bad still imports — or is refused — within bounded memory; the first few stay in memory
for the summary printed to the user.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

REPORT_COLUMNS = ("row", "column", "value", "message", "severity")
KEEP_IN_MEMORY = 200
MAX_VALUE_CHARS = 300


@dataclass(frozen=True)
class RowProblem:
    """A problem with one cell (or one row, or the header when ``row`` is the header row)."""

    row: int
    column: str | None
    value: str | None
    message: str
    severity: str = "error"  # error: the row is not imported | warning: imported, flagged


class ProblemLog:
    """Problems found in one import, spooled to disk."""

    def __init__(self) -> None:
        # Closed by close() (or when the log is collected): it outlives any one block.
        self._spool = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._spool)
        self.errors = 0
        self.warnings = 0
        self.rejected_rows = 0
        self.warned_rows = 0
        self.first: list[RowProblem] = []

    def close(self) -> None:
        self._spool.close()

    def add(self, problem: RowProblem) -> None:
        """One problem (header and file-level problems)."""
        self.add_frame(pd.DataFrame([asdict(problem)]))

    def add_frame(self, frame: pd.DataFrame) -> None:
        """Problems as a DataFrame with REPORT_COLUMNS (rows of one chunk, sorted by row)."""
        if frame.empty:
            return
        frame = frame.sort_values("row", kind="stable")
        frame = frame.assign(value=frame["value"].astype(object).map(_clip))
        errors = frame["severity"] == "error"
        self.errors += int(errors.sum())
        self.warnings += int((~errors).sum())
        self.rejected_rows += frame.loc[errors, "row"].nunique()
        warned = set(frame.loc[~errors, "row"]) - set(frame.loc[errors, "row"])
        self.warned_rows += len(warned)
        frame[list(REPORT_COLUMNS)].to_csv(self._spool, header=False, index=False)
        room = KEEP_IN_MEMORY - len(self.first)
        if room > 0:
            self.first += [
                RowProblem(**{**r, "value": _clip(r["value"]), "column": _clip(r["column"])})
                for r in frame.head(room).to_dict("records")
            ]

    def __iter__(self) -> Iterator[RowProblem]:
        self._spool.flush()
        self._spool.seek(0)
        for row, column, value, message, severity in csv.reader(self._spool):
            yield RowProblem(int(row), column or None, value or None, message, severity)
        self._spool.seek(0, 2)

    def write(self, path: Path, summary: dict) -> Path:
        """The report as CSV (default) or JSON (``.json``): summary first in JSON."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".json":
            with open(path, "w", encoding="utf-8") as fh:
                fh.write('{"summary": ' + json.dumps(summary, ensure_ascii=False, default=str))
                fh.write(', "problems": [')
                for i, problem in enumerate(self):
                    fh.write(
                        (",\n" if i else "\n") + json.dumps(asdict(problem), ensure_ascii=False)
                    )
                fh.write("\n]}\n")
            return path
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:  # BOM: Excel opens it
            writer = csv.writer(fh)
            writer.writerow(REPORT_COLUMNS)
            for problem in self:
                writer.writerow(
                    [problem.row, problem.column or "", problem.value or "", problem.message,
                     problem.severity]
                )  # fmt: skip
        return path

    def copy_rows(self) -> Iterator[tuple]:
        """(row, column, value, message, severity) tuples, for COPY into import_row_error."""
        for p in self:
            yield (p.row, p.column, p.value, p.message, p.severity)


def _clip(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return None
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"
