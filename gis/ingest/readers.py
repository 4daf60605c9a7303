"""Open officers' files as they are: CSV (any Excel encoding and delimiter, streamed),
XLSX (gis.ingest.workbook) and GeoJSON (gis.ingest.geojson)."""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

from gis.errors import InputError
from gis.ingest.csv_chunks import csv_pieces, stream_chunks
from gis.ingest.geojson import open_geojson
from gis.ingest.table import HEADER_SCAN_ROWS, Table, nfc
from gis.ingest.workbook import open_xlsx

SAMPLE_BYTES = 1 << 20
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
GEOJSON_SUFFIXES = (".geojson", ".json")


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
        path, "csv", headers, index + 1, stream_chunks, encoding, delimiter,
        path.stat().st_size, pieces_reader=csv_pieces,
    )  # fmt: skip
