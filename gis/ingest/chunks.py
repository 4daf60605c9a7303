"""One chunk of an import on its way: read (empty rows dropped), packed for a worker
(gis.ingest.workers) and checked there or here, staged in file order, each phase timed."""

from __future__ import annotations

import copy
import queue
import threading
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gis.auth import Scope
from gis.ingest import staging, writer
from gis.ingest.csv_chunks import RawChunk
from gis.ingest.dedupe import key_hashes
from gis.ingest.scope import keep_in_scope
from gis.ingest.table import ROW
from gis.ingest.validate import Context, strip_cells


@dataclass
class Checked:
    """One chunk checked: what the import needs of it, as plain values (made in a worker
    or here, see gis.ingest.workers)."""

    rows: int  # rows read (empty rows left out)
    staged: pd.DataFrame | staging.StagedCopy  # the rows to stage (formatted for COPY)
    row_numbers: np.ndarray  # of the staged rows
    key_hashes: np.ndarray
    synthetic: int
    outside: pd.DataFrame  # rows outside the importer's scope
    problems: pd.DataFrame
    memo_in: dict  # ctx.memo before and after the chunk
    memo_out: dict


def checker(ctx: Context, prepare, scope: Scope | None, formatting: dict):
    """check(chunk) -> Checked: everything between reading a chunk and writing it.
    While ``formatting["now"]`` (workers run), the staged rows are formatted for COPY too
    (in UTF-8); else they are formatted while being sent (the server taking in the rows
    before)."""
    columns = ctx.columns.values()
    key = list(writer.KEY[ctx.kind])

    def check(chunk: pd.DataFrame | RawChunk) -> Checked:
        if isinstance(chunk, RawChunk):
            chunk = drop_empty_rows(chunk.frame())
        memo_in = learned(ctx.memo)
        chunk = strip_cells(chunk, columns)
        staged, problems = prepare(chunk, ctx)
        staged, outside = keep_in_scope(staged, scope, ctx.label("address"))
        return Checked(
            rows=len(chunk),
            staged=staging.format_staged(ctx.kind, staged) if formatting["now"] else staged,
            row_numbers=staged["row_number"].to_numpy(), key_hashes=key_hashes(staged[key]),
            synthetic=int(staged["is_synthetic"].sum()), outside=outside, problems=problems,
            memo_in=memo_in, memo_out=learned(ctx.memo),
        )  # fmt: skip

    return check


def learned(memo: dict) -> dict:
    """A copy of what a Context's memo holds (columns that taught nothing left out)."""
    return {key: copy.deepcopy(value) for key, value in memo.items() if value}


class Stager:
    """Writes the checked chunks to staging, in order. Chunks formatted already (workers
    run) are sent from a thread, so that the server takes in one chunk while this process
    reads and checks the next (the thread only sends bytes and waits on the socket: it
    holds no GIL to speak of; nothing else uses the connection meanwhile, and it starts
    after the workers are forked); the others are formatted while being sent, here."""

    def __init__(self, conn, kind: str) -> None:
        self.conn, self.kind = conn, kind
        self._queue: queue.Queue = queue.Queue(maxsize=2)  # chunks waiting: bounded memory
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._abandoned = False

    def write(self, staged: pd.DataFrame | staging.StagedCopy) -> None:
        if isinstance(staged, pd.DataFrame):  # no workers: the whole file is written here
            staging.copy_staged(self.conn, self.kind, staged)
            return
        if self._error is not None:
            raise self._error
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tuquan-stage", daemon=True)
            self._thread.start()
        self._queue.put(staged)

    def _run(self) -> None:
        while (staged := self._queue.get()) is not None:
            if self._error is None and not self._abandoned:
                try:
                    staging.copy_staged(self.conn, self.kind, staged)
                except BaseException as exc:  # raised in the importing thread
                    self._error = exc

    def close(self, abandon: bool = False) -> None:
        """Wait for the writes (the connection is the caller's again) and raise their error;
        ``abandon`` (the import failed): only the write under way is waited for."""
        self._abandoned = abandon
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        if self._error is not None and not abandon:
            raise self._error


class Clock:
    """The import's phases over the chunk loop: read (reading and dropping empty rows),
    check (checking here, or waiting for the workers) and stage (writing)."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings  # seconds per phase (ImportResult.timings)
        self.tick = time.perf_counter()
        self._read = 0.0  # reading since the last tick

    def reading(self, chunks):
        """The non-empty chunks, their reading timed apart (raw lines are parsed where
        they are checked: their empty rows are dropped there)."""
        chunks = iter(chunks)
        while True:
            started = time.perf_counter()
            chunk = next(chunks, None)
            if isinstance(chunk, pd.DataFrame):
                chunk = drop_empty_rows(chunk)
            self._read += time.perf_counter() - started
            if chunk is None:
                return
            if isinstance(chunk, RawChunk) or not chunk.empty:
                yield chunk

    def _phase(self, phase: str) -> None:
        now = time.perf_counter()
        timings = self.timings
        timings["read"] = timings.get("read", 0.0) + self._read
        timings[phase] = timings.get(phase, 0.0) + now - self.tick - self._read
        self.tick, self._read = now, 0.0

    def checked(self) -> None:
        self._phase("check")

    def staged(self) -> None:
        self._phase("stage")


def drop_empty_rows(chunk: pd.DataFrame) -> pd.DataFrame:
    """The chunk without rows whose every cell (and spill-over) is empty. Column by column,
    stopping at the first column that leaves no row empty (the usual case: the first)."""
    empty = None
    for column in chunk.columns:
        if column == ROW:
            continue
        blank = chunk[column].to_numpy(dtype=object) == ""
        empty = blank if empty is None else empty & blank
        if not empty.any():
            return chunk
    if empty is None:  # no cell columns at all: every row is empty
        return chunk.iloc[:0]
    return chunk[~empty]


SEP = "\x00"  # joins a column's cells for a worker; a cell holding it sends its column pickled


def pack(frame: pd.DataFrame | RawChunk) -> tuple | RawChunk:
    """A chunk as few, cheap-to-pickle parts: its index, and per column either its cells
    joined by `SEP` (text columns) or the column itself (raw lines: as they are)."""
    if isinstance(frame, RawChunk):
        return frame
    columns = []
    for name in frame.columns:
        column = frame[name]
        if len(column) and (column.dtype == object or isinstance(column.dtype, pd.StringDtype)):
            values = column.to_numpy(dtype=object)
            try:
                joined = SEP.join(values)
            except TypeError:  # a missing value or a non-text cell: sent as it is
                joined = None
            if joined is not None and joined.count(SEP) == len(values) - 1:
                columns.append((name, column.dtype, joined))
                continue
        columns.append((name, None, column))
    return frame.index, columns


def unpack(packed: tuple | RawChunk) -> pd.DataFrame | RawChunk:
    """The chunk `pack` was given: same index, columns, dtypes and cells."""
    if isinstance(packed, RawChunk):
        return packed
    index, columns = packed
    data = {}
    for name, dtype, value in columns:
        if dtype is None:
            data[name] = value
            continue
        cells = np.array(value.split(SEP), dtype=object)
        if isinstance(dtype, pd.StringDtype):  # built from the cells, not checked one by one
            cells = pd.array(cells, dtype=dtype, copy=False)
        data[name] = pd.Series(cells, index=index, copy=False)
    return pd.DataFrame(data, index=index, copy=False)
