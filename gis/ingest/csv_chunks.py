"""A CSV's rows in chunks: streamed through pandas' C parser, or cut as raw lines and
parsed where each chunk is checked.

Parsing is the costliest part of reading (~0.15 s per 100,000 rows, five text columns).
An import's workers (gis.ingest.workers) check chunks on every core, so a chunk that
travels as its raw lines is parsed there too, and the importing process only reads bytes.
Lines are cut so only where the stream would end a record the same way: in UTF-8 text
holding no quote (") and no carriage return but in CRLF, every newline ends a record, so
a chunk of ``size`` lines is exactly the stream's chunk of ``size`` rows. A file holding
a quote or a lone CR anywhere is streamed, as before. Both ways give the
same chunks: rows, row numbers and errors.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gis.errors import InputError
from gis.ingest.table import EXTRA, ROW, Table

EXTRA_CELLS = 4  # room for rows with more cells than the header (reported, not dropped)
SCAN_BYTES = 1 << 22  # read at a time while cutting lines
UTF8 = ("utf-8", "utf-8-sig")
ENCODING_HINT = "save it from Excel as 'CSV UTF-8', or as XLSX"


@dataclass(frozen=True)
class RawChunk:
    """Data lines of a CSV (UTF-8 bytes, whole lines), not parsed yet: plain values, to be
    parsed anywhere (a worker process) into the chunk the stream would have read."""

    data: bytes
    first_row: int  # the row number of its first line
    position: int  # data lines before it in the file (the stream's index)
    offset: int  # of its first byte in the file (for messages)
    columns: int  # cells in the header
    delimiter: str
    file_name: str  # for messages
    encoding: str  # the file's (for messages)

    def frame(self) -> pd.DataFrame:
        """The chunk of str cells, as `stream_chunks` reads it (same errors too)."""
        # The stream checks the length of only its first row with a warning, and the rows
        # after it with an error naming the line: every chunk but the file's first opens
        # with a blank line (dropped), so that its first line is checked as the stream's.
        lead = 1 if self.position else 0
        data = b"\n" + self.data if lead else self.data
        try:
            reader = _reader(io.BytesIO(data), self.columns, self.delimiter, "utf-8", 0, None)
            chunk = _next_chunk(reader)
        except UnicodeDecodeError:
            try:
                self.data.decode("utf-8")
            except UnicodeDecodeError as exc:  # where in the file, to the byte
                raise _not_encoded(self.file_name, self.encoding, self.offset + exc.start) from None
            raise
        except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
            shift = self.first_row - 1 - lead  # the stream counts lines from the file's first
            message = re.sub(r"line (\d+)", lambda m: f"line {int(m[1]) + shift}", str(exc))
            raise _unreadable(self.file_name, self.columns, message) from None
        chunk = chunk.iloc[lead:]  # never None: the lines are never empty
        chunk.index = pd.RangeIndex(self.position, self.position + len(chunk))
        return _finish(chunk, self.columns, self.first_row)


def csv_pieces(table: Table, size: int, advance) -> Iterator[pd.DataFrame | RawChunk]:
    """Chunks as `RawChunk` where the file allows (see the module's docstring), else
    DataFrames, streamed."""
    start = _data_start(table) if table.encoding in UTF8 else None
    if start is None or not _plain_lines(table):
        yield from stream_chunks(table, size, advance)
        return
    position, offset = 0, start
    advance(start)  # the header's lines
    with open(table.path, "rb") as raw:
        raw.seek(start)
        for data, lines in _cut_lines(raw, size):
            advance(len(data))
            yield RawChunk(
                data, table.header_row + 1 + position, position, offset, len(table.headers),
                table.delimiter or ",", table.path.name, table.encoding or "utf-8",
            )  # fmt: skip
            position += lines
            offset += len(data)


def _cut_lines(raw, size: int) -> Iterator[tuple[bytes, int]]:
    """(bytes, lines) of ``size`` whole lines each from a binary file; the last: the rest."""
    pending, start = b"", 0  # bytes read and not yet given, from ``start``
    newlines = np.empty(0, dtype=np.int64)  # their positions in ``pending``, from ``start``
    while True:
        piece = raw.read(SCAN_BYTES)
        if piece:
            pending, newlines = pending[start:], newlines - start
            start = 0
            found = np.flatnonzero(np.frombuffer(piece, dtype=np.uint8) == 0x0A)
            newlines = np.concatenate([newlines, found + len(pending)])
            pending += piece
        taken = 0
        while len(newlines) - taken >= size:
            end = int(newlines[taken + size - 1]) + 1
            yield pending[start:end], size
            start, taken = end, taken + size
        newlines = newlines[taken:]
        if not piece:
            if start < len(pending):
                rest = pending[start:]
                yield rest, len(newlines) + (not rest.endswith(b"\n"))
            return


def _data_start(table: Table) -> int | None:
    """The byte offset of the line after the header (found in the first MB), else None.
    Plain lines (`_plain_lines`): the stream skips as many."""
    with open(table.path, "rb") as raw:
        head = raw.read(1 << 20)
    end = 0
    for _ in range(table.header_row):
        end = head.find(b"\n", end) + 1
        if end == 0:
            return None  # the header is the last line, or far down: streamed
    return end


def _plain_lines(table: Table) -> bool:
    """True when the file holds no quote and no CR but in CRLF: each newline ends a record."""
    carry = b""
    with open(table.path, "rb") as raw:
        while piece := raw.read(SCAN_BYTES):
            text = carry + piece
            carry = b"\r" if text.endswith(b"\r") else b""  # its LF may open the next piece
            if carry:
                text = text[:-1]
            if b'"' in text or text.count(b"\r") != text.count(b"\r\n"):
                return False
    return not carry


def stream_chunks(table: Table, size: int, advance) -> Iterator[pd.DataFrame]:
    """The rows after the header through pandas' C parser, ``size`` at a time."""
    with open(table.path, "rb") as raw:
        counted = io.BufferedReader(_CountingReader(raw, advance), 1 << 16)
        utf8 = table.encoding in UTF8
        # UTF-8 goes to the C parser as bytes; other encodings are decoded on the way.
        handle = counted if utf8 else io.TextIOWrapper(counted, table.encoding, newline="")
        n = len(table.headers)
        first = table.header_row + 1
        try:
            reader = _reader(handle, n, table.delimiter, table.encoding, table.header_row, size)
            while (chunk := _next_chunk(reader)) is not None:
                yield _finish(chunk, n, first)
                first += len(chunk)
        except UnicodeDecodeError as exc:
            raise _not_encoded(table.path.name, table.encoding, exc.start) from None
        except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
            raise _unreadable(table.path.name, n, str(exc)) from None


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


def _reader(handle, n: int, delimiter, encoding, skip: int, size: int | None):
    """pandas' C parser over ``handle`` (rows of ``n`` cells, more spilling over), every
    cell as str: a reader of chunks of ``size`` rows, or, with no size, one that reads all."""
    utf8 = encoding in UTF8
    return pd.read_csv(
        handle, sep=delimiter, header=None, skiprows=skip,
        names=range(n + EXTRA_CELLS), dtype=str, keep_default_na=False,
        na_filter=False, skip_blank_lines=False, chunksize=size or (1 << 62), engine="c",
        encoding=encoding if utf8 else None, index_col=False,
    )  # fmt: skip


def _next_chunk(reader) -> pd.DataFrame | None:
    """The next chunk; a first row too long for the names is an error, not a silent cut."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        return next(reader, None)


def _finish(chunk: pd.DataFrame, n: int, first: int) -> pd.DataFrame:
    """The header's ``n`` columns, the text of cells beyond them (EXTRA), and ROW."""
    extra = chunk.iloc[:, n:]
    chunk = chunk.iloc[:, :n].fillna("")
    spill = extra.notna().to_numpy() & (extra.to_numpy() != "")
    chunk[EXTRA] = ""
    rows = spill.any(axis=1)
    if rows.any():
        chunk.loc[rows, EXTRA] = extra[rows].fillna("").agg(" | ".join, axis=1)
    chunk[ROW] = range(first, first + len(chunk))
    return chunk


def _not_encoded(file_name: str, encoding: str | None, at: int) -> InputError:
    return InputError(f"{file_name}: bytes that are not {encoding} near byte {at}", ENCODING_HINT)


def _unreadable(file_name: str, n: int, message: str) -> InputError:
    unclosed = "EOF inside string" in message
    return InputError(
        f"{file_name}: unreadable CSV: {message.strip()}",
        'a cell opens a quote (") that is never closed: close it, or save the sheet '
        "again from Excel"
        if unclosed
        else f"a row has far more cells than the header ({n}): put quotes around "
        "cells that contain the delimiter, or save the sheet again from Excel",
    )
