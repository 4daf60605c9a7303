"""XLSX workbooks, streamed row by row (openpyxl read-only): the first sheet, title rows
above the header allowed, truncated or damaged files refused with a hint."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from gis.errors import InputError
from gis.ingest.table import HEADER_SCAN_ROWS, ROW, Table, cell_text


def _load_workbook(path: Path):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, EOFError, OSError, ValueError) as exc:
        raise InputError(
            f"{path.name}: not a readable XLSX workbook (truncated or damaged: {exc})",
            "open it in Excel and save it again, or export the sheet as CSV UTF-8",
        ) from None


def open_xlsx(path: Path, choose_header) -> Table:
    """The first sheet of a workbook, its header found by ``choose_header``."""
    book = _load_workbook(path)
    try:
        sheet = book.worksheets[0]
        rows = []
        for values in sheet.iter_rows(max_row=HEADER_SCAN_ROWS, values_only=True):
            rows.append([cell_text(v) for v in values])
        total = sheet.max_row
    except (zipfile.BadZipFile, KeyError, EOFError, OSError, ValueError) as exc:
        raise InputError(
            f"{path.name}: the workbook is damaged ({exc})",
            "open it in Excel and save it again, or export the sheet as CSV UTF-8",
        ) from None
    finally:
        book.close()
    if not rows:
        raise InputError(f"{path.name}: the first sheet is empty", "put the table in sheet 1")
    index = choose_header(rows)
    headers = rows[index]
    return Table(
        path, "xlsx", headers, index + 1, _xlsx_chunks, total=total, extra={"sheet": sheet.title}
    )


def _xlsx_chunks(table: Table, size: int, advance) -> Iterator[pd.DataFrame]:
    book = _load_workbook(table.path)
    n = len(table.headers)
    try:
        sheet = book.worksheets[0]
        buffer: list[list[str]] = []
        rows: list[int] = []
        row = table.header_row
        for values in sheet.iter_rows(min_row=table.header_row + 1, values_only=True):
            row += 1
            cells = [cell_text(v) for v in values[:n]]
            buffer.append(cells + [""] * (n - len(cells)))
            rows.append(row)
            if len(buffer) >= size:
                yield _frame(buffer, rows, n)
                advance(len(buffer))
                buffer, rows = [], []
        if buffer:
            yield _frame(buffer, rows, n)
            advance(len(buffer))
    except (zipfile.BadZipFile, KeyError, EOFError, OSError, ValueError) as exc:
        raise InputError(
            f"{table.path.name}: the workbook is damaged after row {row} ({exc})",
            "open it in Excel and save it again, or export the sheet as CSV UTF-8",
        ) from None
    finally:
        book.close()


def _frame(buffer: list[list[str]], rows: list[int], n: int) -> pd.DataFrame:
    frame = pd.DataFrame(buffer, columns=range(n), dtype=object)
    frame[ROW] = rows
    return frame
