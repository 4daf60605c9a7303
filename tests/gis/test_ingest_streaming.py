"""Big files: read in chunks within bounded memory, and a killed import leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from tests.gis import ingest_fixtures as fx
from tests.gis.ingest_fixtures import RECORD_TABLES, write_incident_csv
from tests.helpers import count, snapshot

ingest_url, records_engine = fx.ingest_url, fx.records_engine

PEAK_RSS = """
import json, sys
def peak_mb():  # VmHWM: unlike ru_maxrss, not inherited from the forking parent
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) / 1024 for l in status if l.startswith("VmHWM:"))
from gis.database import make_engine
from gis.ingest import ImportOptions, import_file
engine = make_engine(sys.argv[1])
result = import_file(engine, sys.argv[2], "incidents", ImportOptions(chunk_rows=10_000))
print(json.dumps({"rows": result.rows_total, "errors": result.problems.errors,
                  "peak_mb": peak_mb()}))
"""


def _peak(url: str, path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, url, str(path)], capture_output=True, text=True,
        check=True, timeout=600,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_memory_does_not_grow_with_the_file(records_engine, ingest_url, tmp_path):
    url = ingest_url.render_as_string(hide_password=False)
    # The last row is bad: every row is read, checked and staged, then nothing is written.
    small = write_incident_csv(records_engine, tmp_path / "small.csv", 40_000, 1, True)
    large = write_incident_csv(records_engine, tmp_path / "large.csv", 200_000, 2, True)
    small, large = _peak(url, small), _peak(url, large)
    assert (small["rows"], large["rows"]) == (40_000, 200_000) and large["errors"] >= 1
    # Five times the rows: a whole-file reader needs ~150 MB more here; chunks need none.
    assert large["peak_mb"] - small["peak_mb"] < 40, (small, large)


def assert_rolled_back(engine, database: str, before) -> None:
    """After a killed import: the server notices the dead client and rolls back, leaving
    the records as ``before`` (a snapshot) and no batch."""
    deadline = time.monotonic() + 60
    while _session_in_load(engine, database):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert snapshot(engine, *RECORD_TABLES) == before
    assert count(engine, "SELECT count(*) FROM import_batch") == 0


def _session_in_load(engine, database: str) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :db "
                    "AND pid <> pg_backend_pid() AND query ILIKE '%incident_staging%'"
                ),
                {"db": database},
            )
        )


@pytest.mark.slow
def test_killed_import_leaves_no_partial_batch(records_engine, ingest_url, tmp_path):
    path = write_incident_csv(records_engine, tmp_path / "big.csv", 200_000, 3)
    before = snapshot(records_engine, *RECORD_TABLES)
    env = {**os.environ, "TUQUAN_DATABASE_URL": ingest_url.render_as_string(hide_password=False),
           "TUQUAN_HOME": str(tmp_path / "home")}  # fmt: skip
    command = "from tuquan.cli import main; main()"
    process = subprocess.Popen(
        [sys.executable, "-c", command, "import", "incidents", str(path)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not _session_in_load(records_engine, ingest_url.database):
            assert process.poll() is None, "the import ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)  # well inside the load: staging table created, rows being copied
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    assert_rolled_back(records_engine, ingest_url.database, before)
    assert count(records_engine, "SELECT count(*) FROM incident") == 0
