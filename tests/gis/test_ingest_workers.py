"""Chunks checked by forked workers: the same staged rows and problems as one process,
in file order, whoever checked what, and whatever a worker does wrong."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from gis.errors import InputError
from gis.ingest import ImportOptions, import_file, pipeline
from gis.ingest.chunks import pack, unpack
from gis.ingest.csv_chunks import RawChunk
from gis.ingest.readers import open_table
from gis.ingest.workers import checked_in_order
from tests.gis import ingest_fixtures as fx
from tests.gis.ingest_fixtures import write_incident_csv
from tests.gis.test_ingest_streaming import assert_rolled_back

ingest_url, records_engine, locator = fx.ingest_url, fx.records_engine, fx.locator
PARENT = os.getpid()


def test_a_chunk_travels_unchanged():
    text = pd.Series(["a", "", "Hà Nội", "x\ty"], dtype=str, index=[7, 8, 9, 10])
    frame = pd.DataFrame(
        {
            0: text,
            1: pd.Series(["b", None, "c", np.nan], dtype=object, index=text.index),
            2: pd.Series(["nul\x00inside", "d", "e", "f"], dtype=object, index=text.index),
            "__row__": [2, 3, 4, 5],
            "f": [1.5, np.nan, 2.0, 3.0],
        }
    )
    back = unpack(pack(frame))
    pd.testing.assert_frame_equal(back, frame)
    assert [c[1] is None for c in pack(frame)[1]] == [False, True, True, True, True]
    empty = frame.iloc[:0]
    pd.testing.assert_frame_equal(unpack(pack(empty)), empty)


def test_raw_lines_travel_as_they_are_and_are_parsed_in_the_worker(records_engine, tmp_path):
    path = write_incident_csv(records_engine, tmp_path / "raw.csv", 30)
    table = open_table(path, lambda rows: 0)
    pieces = list(table.pieces(7))
    assert all(isinstance(p, RawChunk) for p in pieces)
    travelled = [unpack(pickle.loads(pickle.dumps(pack(p)))) for p in pieces]
    assert travelled == pieces
    parsed = [chunk for _, chunk in checked_in_order(table.pieces(7), RawChunk.frame, processes=2)]
    for a, b in zip(parsed, table.chunks(7), strict=True):
        pd.testing.assert_frame_equal(a, b)


def _square(chunk: pd.DataFrame) -> list[int]:
    if (chunk["v"] < 0).any():
        raise InputError(f"negative at {chunk['v'].min()}", "fix it")
    return (chunk["v"] ** 2).tolist()


def _chunks(n: int, bad_at: int | None = None, read_error_after: int | None = None):
    for i in range(n):
        if read_error_after is not None and i == read_error_after:
            raise InputError("unreadable", "fix the file")
        values = [i * 10 + j for j in range(5)]
        if i == bad_at:
            values[2] = -i
        yield pd.DataFrame({"v": values})


@pytest.mark.parametrize("processes", [1, 2, 3])
def test_results_come_in_file_order(processes):
    out = [r for _, r in checked_in_order(_chunks(12), _square, processes)]
    assert out == [[(i * 10 + j) ** 2 for j in range(5)] for i in range(12)]


@pytest.mark.parametrize("processes", [1, 2])
def test_errors_are_raised_in_file_order(processes):
    seen = []
    with pytest.raises(InputError, match="negative at -5"):
        for chunk, _ in checked_in_order(_chunks(12, bad_at=5), _square, processes):
            seen.append(int(chunk["v"].iloc[0]))
    assert seen == [0, 10, 20, 30, 40]
    seen = []
    with pytest.raises(InputError, match="unreadable"):  # after every chunk read before it
        for chunk, _ in checked_in_order(_chunks(12, read_error_after=7), _square, processes):
            seen.append(int(chunk["v"].iloc[0]))
    assert seen == [0, 10, 20, 30, 40, 50, 60]


def _dies_in_a_worker(chunk: pd.DataFrame) -> list[int]:
    if os.getpid() != PARENT and chunk["v"].iloc[0] >= 30:
        os._exit(3)  # killed mid-import, nothing sent back
    return _square(chunk)


def _fails_in_a_worker(chunk: pd.DataFrame) -> list[int]:
    if os.getpid() != PARENT:
        raise MemoryError("a worker's own trouble")
    return _square(chunk)


@pytest.mark.parametrize("check", [_dies_in_a_worker, _fails_in_a_worker])
def test_a_failed_worker_costs_only_time(check):
    out = [r for _, r in checked_in_order(_chunks(12), check, 2)]
    assert out == [[(i * 10 + j) ** 2 for j in range(5)] for i in range(12)]


def _staged_and_problems(engine, path, locator, **options):
    """A dry run's staged rows (read back inside the import) and its problems."""
    captured = {}
    original = pipeline._check_duplicates

    def spy(conn, kind, result, column, rows):
        original(conn, kind, result, column, rows)
        captured["staged"] = conn.execute(
            sa.text("SELECT * FROM incident_staging ORDER BY row_number")
        ).all()

    pipeline._check_duplicates = spy
    try:
        result = import_file(
            engine, path, "incidents", ImportOptions(dry_run=True, **options), locator=locator
        )
    finally:
        pipeline._check_duplicates = original
    summary = result.summary()
    problems = list(result.problems)
    result.problems.close()
    return captured["staged"], problems, summary


def _odd_file(engine, tmp_path):
    """Generated rows with bad ones spread over the chunks, and dates in other formats from
    the fifth chunk on (the file's date format is learned there, then used after)."""
    path = write_incident_csv(engine, tmp_path / "odd.csv", 1_200, 5)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[130, "Vĩ độ"] = "north"
    frame.loc[333, "Ngày xảy ra"] = "31/02/2024"
    frame.loc[334, "Kinh độ"] = ""
    frame.loc[[335, 900], "Mã vụ việc"] = frame.loc[10, "Mã vụ việc"]  # duplicates
    frame.loc[frame.index >= 400, "Ngày xảy ra"] = frame["Ngày xảy ra"].str.replace(
        r"^0(\d)/", r"\1/", regex=True
    )  # 5/03/2021 10:00: not fixed-width
    frame.loc[700, "Vĩ độ"], frame.loc[700, "Kinh độ"] = "105.9", "20.25"  # swapped
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("processes", [2, 3])
def test_workers_stage_and_report_what_one_process_does(
    records_engine, locator, tmp_path, processes
):
    path = _odd_file(records_engine, tmp_path)
    alone = _staged_and_problems(records_engine, path, locator, chunk_rows=100, processes=1)
    shared = _staged_and_problems(
        records_engine, path, locator, chunk_rows=100, processes=processes
    )
    assert len(alone[0]) > 1_000 and len(alone[1]) >= 5
    assert shared == alone


def test_a_dead_worker_leaves_the_import_whole(records_engine, locator, tmp_path, monkeypatch):
    path = _odd_file(records_engine, tmp_path)
    alone = _staged_and_problems(records_engine, path, locator, chunk_rows=100, processes=1)
    prepare = pipeline.prepare_incidents
    parent = os.getpid()

    def dies_in_a_worker(chunk, ctx):
        if os.getpid() != parent and chunk["__row__"].iloc[0] > 500:
            os._exit(9)
        return prepare(chunk, ctx)

    monkeypatch.setattr(pipeline, "prepare_incidents", dies_in_a_worker)
    shared = _staged_and_problems(records_engine, path, locator, chunk_rows=100, processes=2)
    assert shared == alone
    # And written for real: every good row once.
    result = import_file(
        records_engine, path, "incidents",
        ImportOptions(chunk_rows=100, processes=2, skip_bad_rows=True), locator=locator,
    )  # fmt: skip
    assert result.rows_imported == len(alone[0])  # the duplicates left out (as staged)
    with records_engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM incident")) == result.rows_imported


def test_no_worker_when_turned_off_or_when_rows_need_the_geocoder(
    records_engine, locator, tmp_path, monkeypatch
):
    from gis.ingest import workers

    def no_fork(*args):
        raise AssertionError("a worker was forked")

    path = write_incident_csv(records_engine, tmp_path / "plain.csv", 300, 7)
    monkeypatch.setenv("TUQUAN_IMPORT_WORKERS", "1")
    monkeypatch.setattr(workers, "_start", no_fork)
    options = ImportOptions(dry_run=True, chunk_rows=50)
    alone = import_file(records_engine, path, "incidents", options, locator=locator)
    assert alone.accepted
    # A psycopg without the (non-public) formatter the workers use: the importer alone.
    from gis.ingest import staging

    monkeypatch.setattr(staging, "BinaryFormatter", None)
    options = ImportOptions(dry_run=True, chunk_rows=50, processes=2)
    result = import_file(records_engine, path, "incidents", options, locator=locator)
    assert (result.rows_imported, result.problems.errors) == (alone.rows_imported, 0)
    monkeypatch.undo()
    monkeypatch.setattr(workers, "_start", no_fork)
    # Rows with an address are geocoded through the database: never in a worker.
    addresses = fx.DATA / "incidents_utf8.csv"
    options = ImportOptions(dry_run=True, chunk_rows=2, processes=2)
    result = import_file(records_engine, addresses, "incidents", options, locator=locator)
    assert result.rows_total > 2


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(c) for c in fh.read().split()]
    except OSError:
        return []


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads /proc (Linux)")
def test_killed_importer_takes_its_workers_and_its_transaction_along(
    records_engine, ingest_url, tmp_path
):
    import signal
    import subprocess
    import sys
    import time

    from tests.gis.ingest_fixtures import RECORD_TABLES
    from tests.helpers import snapshot

    path = write_incident_csv(records_engine, tmp_path / "big.csv", 400_000, 4)  # 4 chunks
    before = snapshot(records_engine, *RECORD_TABLES)
    env = {**os.environ, "TUQUAN_DATABASE_URL": ingest_url.render_as_string(hide_password=False),
           "TUQUAN_HOME": str(tmp_path / "home"), "TUQUAN_IMPORT_WORKERS": "2"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-c", "from tuquan.cli import main; main()", "import", "incidents",
         str(path)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not (workers := _children(process.pid)):
            assert process.poll() is None, "the import ended before its worker started"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(0.3)  # the worker checking
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    deadline = time.monotonic() + 10  # the worker sees its importer gone and leaves
    while any(os.path.exists(f"/proc/{w}") and _state(w) != "Z" for w in workers):
        assert time.monotonic() < deadline, "a worker outlived its importer"
        time.sleep(0.05)
    assert_rolled_back(records_engine, ingest_url.database, before)


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
