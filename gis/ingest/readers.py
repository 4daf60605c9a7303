"""Open officers' files as they are: CSV (any Excel encoding and delimiter, streamed),
XLSX (gis.ingest.workbook) and GeoJSON (gis.ingest.geojson)."""

from __future__ import annotations

import codecs
import csv
import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from gis.errors import InputError
from gis.ingest.geojson import open_geojson
from gis.ingest.table import EXTRA, HEADER_SCAN_ROWS, ROW, Table, nfc
from gis.ingest.workbook import open_xlsx

SAMPLE_BYTES = 1 << 20
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
GEOJSON_SUFFIXES = (".geojson", ".json")
ENCODING_HINT = "save it from Excel as 'CSV UTF-8', or as XLSX"


def open_table(path: Path, choose_header) -> Table:
    """Open ``path`` and find its header row with ``choose_header(rows) -> index``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file", "check the path")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _open_csv(path, choose_header)
    if suffix in XLSX_SUFFIXES:
        return open_xlsx(path, choose_header)
    if suffix in GEOJSON_SUFFIXES:
        return open_geojson(path)
    if suffix == ".xls":
        raise InputError(
            f"{path.name}: old Excel 97–2003 (.xls) workbooks are not read",
            "open it in Excel or LibreOffice and save it as .xlsx (or CSV UTF-8)",
        )
    raise InputError(
        f"{path.name}: unknown file type {suffix or '(none)'}",
        "give a .csv, .xlsx or .geojson file",
    )


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
    if not rows:  # e.g. a byte-order mark and nothing after it
        raise InputError(f"{path.name}: the file has no text line", "export the sheet again")
    index = choose_header(rows)
    headers = [nfc(h) for h in rows[index]]
    return Table(
        path, "csv", headers, index + 1, _csv_chunks, encoding, delimiter, path.stat().st_size
    )


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


EXTRA_CELLS = 4  # room for rows with more cells than the header (reported, not dropped)


def _next_chunk(reader) -> pd.DataFrame | None:
    """The next chunk; a first row too long for the names is an error, not a silent cut."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        return next(reader, None)


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
                encoding=table.encoding if utf8 else None, index_col=False,
            )  # fmt: skip
            first = table.header_row + 1
            while (chunk := _next_chunk(reader)) is not None:
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
        except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
            unclosed = "EOF inside string" in str(exc)
            raise InputError(
                f"{table.path.name}: unreadable CSV: {str(exc).strip()}",
                'a cell opens a quote (") that is never closed: close it, or save the sheet '
                "again from Excel"
                if unclosed
                else f"a row has far more cells than the header ({n}): put quotes around "
                "cells that contain the delimiter, or save the sheet again from Excel",
            ) from None
