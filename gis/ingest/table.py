"""An opened file of records: where its header is, and how to read the rows after it.

Every reader yields chunks of text cells (a DataFrame of str, with the file's row number
in ``ROW``), so one parsing path serves every format and reports quote what the file held.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

ROW = "__row__"  # the row number a spreadsheet would show (header row included)
EXTRA = "__extra__"  # CSV: the text of cells beyond the header
GEOMETRY_LON, GEOMETRY_LAT = "__geometry_lon__", "__geometry_lat__"
GEOMETRY_KIND = "__geometry_kind__"  # GeoJSON: the type of a geometry that is not a point
HEADER_SCAN_ROWS = 15  # title rows officers put above the header

Chunks = Callable[["Table", int, Callable[[int], None]], Iterator[pd.DataFrame]]


@dataclass
class Table:
    """An opened file: its header row, where it is, and a way to read the rows after it."""

    path: Path
    format: str  # csv | xlsx | geojson
    headers: list[str]
    header_row: int  # 1-based row number of the header
    reader: Chunks
    encoding: str | None = None
    delimiter: str | None = None
    total: int | None = None  # progress units (bytes for CSV, rows otherwise)
    extra: dict = field(default_factory=dict)
    pieces_reader: Chunks | None = None  # see `pieces`

    def chunks(self, size: int, advance=None) -> Iterator[pd.DataFrame]:
        """DataFrames of str cells (columns by position: 0..n-1, plus ROW)."""
        yield from self.reader(self, size, advance or (lambda n: None))

    def pieces(self, size: int, advance=None) -> Iterator:
        """The chunks, some perhaps not parsed yet (a CSV's raw lines: their ``frame()`` is
        the chunk; gis.ingest.csv_chunks), to be parsed where they are checked."""
        reader = self.pieces_reader or self.reader
        yield from reader(self, size, advance or (lambda n: None))


def nfc(text: str) -> str:
    """NFC, stripped (headers and spreadsheet text)."""
    return unicodedata.normalize("NFC", text).strip()


def cell_text(value: object) -> str:
    """A spreadsheet value as the text a person would read (dates in ISO form)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return nfc(value)
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
