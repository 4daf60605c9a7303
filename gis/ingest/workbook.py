"""XLSX workbooks, streamed row by row (openpyxl read-only): the first sheet, title rows
above the header allowed, truncated or damaged files refused with a hint."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from gis.errors import InputError
from gis.ingest.table import HEADER_SCAN_ROWS, ROW, Table, cell_text

# What openpyxl raises on a damaged workbook: a bad zip, a missing part, malformed XML (a
# SyntaxError, from expat or lxml), a cell naming a shared string that is not there.
DAMAGED = (zipfile.BadZipFile, KeyError, EOFError, OSError, ValueError, IndexError, SyntaxError)
# Sheets inflate 5–20× in real workbooks; far more is a zip bomb (gigabytes of XML from a
# small file, which the streaming reader would still have to parse row by row).
MAX_INFLATION = 100
INFLATION_FLOOR_BYTES = 50_000_000  # smaller contents are read whatever their ratio


def _check_inflation(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:  # the declared sizes bound what zipfile inflates
        inflated = sum(item.file_size for item in archive.infolist())
    packed = max(path.stat().st_size, 1)
    if inflated > INFLATION_FLOOR_BYTES and inflated > MAX_INFLATION * packed:
        raise InputError(
            f"{path.name}: the workbook inflates from {packed / 1e6:.1f} MB to "
            f"{inflated / 1e6:,.0f} MB ({inflated / packed:,.0f}×): refused as a zip bomb",
            "open it in Excel and save it again, or export the sheet as CSV UTF-8",
        )


def _load_workbook(path: Path):
    import openpyxl

    try:
        _check_inflation(path)
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except DAMAGED as exc:
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
    except DAMAGED as exc:
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
    except DAMAGED as exc:
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
