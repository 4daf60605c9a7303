"""Read officers' files as they are: CSV (any Excel encoding and delimiter), XLSX, GeoJSON.

Every reader yields chunks of text cells (a DataFrame of str, with the file's row number
in ``ROW``), so one parsing path serves every format and reports quote what the file held.
CSV and XLSX are streamed; a GeoJSON file is read whole (GDAL reads it whole anyway).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from gis.errors import InputError

ROW = "__row__"  # the row number a spreadsheet would show (header row included)
GEOMETRY_LON, GEOMETRY_LAT = "__geometry_lon__", "__geometry_lat__"
HEADER_SCAN_ROWS = 15  # title rows officers put above the header
SAMPLE_BYTES = 1 << 20
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
GEOJSON_SUFFIXES = (".geojson", ".json")

ENCODING_HINT = "save it from Excel as 'CSV UTF-8', or as XLSX"


@dataclass
class Table:
    """An opened file: its header row, where it is, and a way to read the rows after it."""

    path: Path
    format: str  # csv | xlsx | geojson
    headers: list[str]
    header_row: int  # 1-based row number of the header
    encoding: str | None = None
    delimiter: str | None = None
    total: int | None = None  # progress units (bytes for CSV, rows otherwise)
    extra: dict = field(default_factory=dict)

    def chunks(self, size: int, advance=None) -> Iterator[pd.DataFrame]:
        """DataFrames of str cells (columns by position: 0..n-1, plus ROW)."""
        readers = {"csv": _csv_chunks, "xlsx": _xlsx_chunks, "geojson": _geojson_chunks}
        yield from readers[self.format](self, size, advance or (lambda n: None))


def open_table(path: Path, choose_header) -> Table:
    """Open ``path`` and find its header row with ``choose_header(rows) -> index``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file", "check the path")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _open_csv(path, choose_header)
    if suffix in XLSX_SUFFIXES:
        return _open_xlsx(path, choose_header)
    if suffix in GEOJSON_SUFFIXES:
        return _open_geojson(path)
    if suffix == ".xls":
        raise InputError(
            f"{path.name}: old Excel 97–2003 (.xls) workbooks are not read",
            "open it in Excel or LibreOffice and save it as .xlsx (or CSV UTF-8)",
        )
    raise InputError(
        f"{path.name}: unknown file type {suffix or '(none)'}",
        "give a .csv, .xlsx or .geojson file",
    )


# -- CSV ----------------------------------------------------------------------------------------
def detect_encoding(sample: bytes) -> str:
    """The encoding Excel wrote: BOM first, then UTF-8 if it decodes, else Windows-1258."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(sample) >= 4 and sample[1] == 0 and sample[3] == 0:
        return "utf-16-le"  # UTF-16 without a BOM: ASCII text with zero high bytes
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1258"  # Vietnamese Windows code page (tone marks as combining characters)
    return "utf-8"


def detect_delimiter(lines: list[str]) -> str:
    """',' ';' or tab: the one found most, and as often, on the first lines."""

    def score(d: str) -> tuple[int, int]:
        counts = [line.count(d) for line in lines if line.strip()]
        return (min(counts) if counts else 0, sum(counts))

    return max((",", ";", "\t"), key=score)


def _decoded_head(path: Path, encoding: str) -> list[str]:
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    text = sample.decode(encoding, errors="replace")
    lines = text.splitlines()
    if len(sample) == SAMPLE_BYTES and lines:
        lines = lines[:-1]  # the last line may be cut in the middle
    return lines[: HEADER_SCAN_ROWS + 5]


def _open_csv(path: Path, choose_header) -> Table:
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if not sample.strip():
        raise InputError(f"{path.name}: the file is empty", "export the sheet again")
    encoding = detect_encoding(sample)
    lines = _decoded_head(path, encoding)
    if lines and lines[0].lower().startswith("sep=") and len(lines[0].strip()) == 5:
        delimiter = lines[0].strip()[4]  # Excel's own hint line, e.g. "sep=;"
    else:
        delimiter = detect_delimiter(lines[:HEADER_SCAN_ROWS])
    rows = list(csv.reader(lines[:HEADER_SCAN_ROWS], delimiter=delimiter))
    index = choose_header(rows)
    headers = [_nfc(h) for h in rows[index]]
    return Table(path, "csv", headers, index + 1, encoding, delimiter, path.stat().st_size)


class _CountingReader(io.RawIOBase):
    """A binary file that reports how many bytes were read (for the progress bar)."""

    def __init__(self, raw, advance) -> None:
        self.raw, self.advance = raw, advance

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.advance(n or 0)
        return n or 0


EXTRA_CELLS = 16  # room for rows with more cells than the header (reported, not dropped)
EXTRA = "__extra__"  # column holding the text of cells beyond the header


def _csv_chunks(table: Table, size: int, advance) -> Iterator[pd.DataFrame]:
    n = len(table.headers)
    with open(table.path, "rb") as raw:
        counted = io.BufferedReader(_CountingReader(raw, advance), 1 << 16)
        utf8 = table.encoding in ("utf-8", "utf-8-sig")
        # UTF-8 goes to the C parser as bytes; other encodings are decoded on the way.
        handle = counted if utf8 else io.TextIOWrapper(counted, table.encoding, newline="")
        try:
            reader = pd.read_csv(
                handle, sep=table.delimiter, header=None, skiprows=table.header_row,
                names=range(n + EXTRA_CELLS), dtype=str, keep_default_na=False,
                na_filter=False, skip_blank_lines=False, chunksize=size, engine="c",
                encoding=table.encoding if utf8 else None,
            )  # fmt: skip
            first = table.header_row + 1
            for chunk in reader:
                extra = chunk.iloc[:, n:]
                chunk = chunk.iloc[:, :n].fillna("")
                spill = extra.notna().to_numpy() & (extra.to_numpy() != "")
                chunk[EXTRA] = ""
                rows = spill.any(axis=1)
                if rows.any():
                    chunk.loc[rows, EXTRA] = extra[rows].fillna("").agg(" | ".join, axis=1)
                chunk[ROW] = range(first, first + len(chunk))
                first += len(chunk)
                yield chunk
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{table.path.name}: bytes that are not {table.encoding} near byte {exc.start}",
                ENCODING_HINT,
            ) from None
        except pd.errors.ParserError as exc:
            raise InputError(f"{table.path.name}: unreadable CSV: {exc}", ENCODING_HINT) from None


# -- XLSX ---------------------------------------------------------------------------------------
def _load_workbook(path: Path):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, EOFError, OSError, ValueError) as exc:
        raise InputError(
            f"{path.name}: not a readable XLSX workbook (truncated or damaged: {exc})",
            "open it in Excel and save it again, or export the sheet as CSV UTF-8",
        ) from None


def cell_text(value: object) -> str:
    """A spreadsheet value as the text a person would read (dates in ISO form)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _nfc(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _open_xlsx(path: Path, choose_header) -> Table:
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
    return Table(path, "xlsx", headers, index + 1, total=total, extra={"sheet": sheet.title})


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


# -- GeoJSON ------------------------------------------------------------------------------------
def _open_geojson(path: Path) -> Table:
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # GDAL reports every parse problem as its own error class
        raise InputError(
            f"{path.name}: not a readable GeoJSON file ({exc})",
            "check that it is a FeatureCollection (export it again from QGIS)",
        ) from None
    geometry = frame.geometry
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        geometry = geometry.to_crs(4326)
    kinds = geometry.geom_type.fillna("")
    headers = [_nfc(str(c)) for c in frame.columns if c != frame.geometry.name]
    cells = pd.DataFrame(
        {i: frame[h].map(cell_text) for i, h in enumerate(headers)}, index=frame.index
    )
    points = (kinds == "Point").to_numpy()
    xs = np.where(points, shapely.get_x(geometry.array), np.nan)
    ys = np.where(points, shapely.get_y(geometry.array), np.nan)
    cells[len(headers)] = [_coordinate_text(x) for x in xs]
    cells[len(headers) + 1] = [_coordinate_text(y) for y in ys]
    # Non-point geometries are refused row by row (see validate: GEOMETRY_KIND).
    cells[len(headers) + 2] = kinds.where(~points & (kinds != ""), "")
    cells[ROW] = range(1, len(cells) + 1)  # feature number
    all_headers = [*headers, GEOMETRY_LON, GEOMETRY_LAT, GEOMETRY_KIND]
    return Table(path, "geojson", all_headers, 0, total=len(cells), extra={"cells": cells})


GEOMETRY_KIND = "__geometry_kind__"


def _coordinate_text(value: float) -> str:
    return "" if value is None or math.isnan(value) else repr(float(value))


def _geojson_chunks(table: Table, size: int, advance) -> Iterator[pd.DataFrame]:
    cells = table.extra["cells"]
    for start in range(0, len(cells), size):
        chunk = cells.iloc[start : start + size].reset_index(drop=True)
        yield chunk
        advance(len(chunk))


def _nfc(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFC", text).strip()
