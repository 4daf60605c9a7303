"""Imports under faults: the database restarted mid-import, two imports of the same file.

(A killed import process leaves no partial batch: tests/gis/test_ingest_streaming.py. The
API answering 503 while the database is down: test_database_restart.py.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from gis import migrations
from gis.boundaries import fetch_boundaries
from gis.cluster import LocalCluster
from gis.database import create_database, make_engine, server_url
from gis.settings import Settings
from tests.gis.ingest_fixtures import RECORD_TABLES, write_incident_csv
from tests.helpers import count, snapshot

CLI = "from tuquan.cli import main; main()"


def _import(url: str, path: Path, home: Path) -> subprocess.Popen:
    env = {**os.environ, "TUQUAN_DATABASE_URL": url, "TUQUAN_HOME": str(home), "COLUMNS": "200"}
    return subprocess.Popen(
        [sys.executable, "-c", CLI, "import", "incidents", str(path)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _loading(engine, database: str) -> bool:
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


def _wait_for_load(engine, database: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not _loading(engine, database):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the import never reached its load"
        time.sleep(0.05)


@pytest.fixture
def private_cluster(tmp_path, boundary_mirror):
    """A cluster of this test's own (it is stopped and started), Ninh Bình loaded."""
    settings = Settings(home=tmp_path / "home", database_name="faults")
    url = server_url(settings)
    create_database(url)
    cluster = LocalCluster.from_settings(settings)
    engine = make_engine(url)
    migrations.upgrade(engine)
    local = Settings(database_url=url.render_as_string(hide_password=False), home=tmp_path / "c")
    fetch_boundaries(engine, local, "37", source=str(boundary_mirror))
    engine.dispose()
    yield settings, cluster
    cluster.stop()
    shutil.rmtree(cluster.data_dir, ignore_errors=True)


@pytest.mark.slow
def test_database_restart_during_an_import_rolls_it_back(private_cluster, tmp_path):
    settings, cluster = private_cluster
    url = server_url(settings)
    engine = make_engine(url)
    path = write_incident_csv(engine, tmp_path / "incidents.csv", 150_000, seed=5)
    before = snapshot(engine, *RECORD_TABLES)
    engine.dispose()  # its pooled connections would not survive the restart either

    process = _import(url.render_as_string(hide_password=False), path, tmp_path / "home2")
    watcher = make_engine(url, poolclass=sa.pool.NullPool)
    try:
        _wait_for_load(watcher, url.database, process)
        cluster.stop()  # fast shutdown: every session is cut mid-transaction
        cluster.start()
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, err
    assert "Lỗi / error" in err and "database" in err, err
    assert "Traceback" not in err, err

    engine = make_engine(server_url(settings))  # the port may have changed on restart
    assert snapshot(engine, *RECORD_TABLES) == before
    assert count(engine, "SELECT count(*) FROM import_batch") == 0
    assert count(engine, "SELECT count(*) FROM incident") == 0
    engine.dispose()


@pytest.fixture(scope="module")
def concurrent_url(make_test_database, boundary_mirror, tmp_path_factory):
    url = make_test_database("faults_concurrent")
    engine = make_engine(url)
    local = Settings(database_url=url.render_as_string(hide_password=False),
                     home=tmp_path_factory.mktemp("concurrent-home"))  # fmt: skip
    fetch_boundaries(engine, local, "37", source=str(boundary_mirror))
    engine.dispose()
    return url


@pytest.mark.slow
def test_two_concurrent_imports_of_one_file_store_each_incident_once(concurrent_url, tmp_path):
    engine = make_engine(concurrent_url)
    rows = 20_000
    path = write_incident_csv(engine, tmp_path / "same.csv", rows, seed=8)
    url = concurrent_url.render_as_string(hide_password=False)
    first = _import(url, path, tmp_path / "a")
    second = _import(url, path, tmp_path / "b")
    outcomes = [p.communicate(timeout=300) for p in (first, second)]
    codes = [first.returncode, second.returncode]
    for _, err in outcomes:
        assert "Traceback" not in err, err
    # The second transaction waits on the first one's keys, then finds them stored: both
    # succeed, and between them every row was inserted exactly once.
    assert codes == [0, 0], outcomes
    assert count(engine, "SELECT count(*) FROM incident") == rows
    assert (
        count(
            engine,
            "SELECT count(*) FROM (SELECT 1 FROM incident GROUP BY province_code, source, "
            "external_ref HAVING count(*) > 1) d",
        )
        == 0
    )
    with engine.connect() as conn:
        batches = conn.execute(
            sa.text("SELECT inserted, updated, unchanged FROM import_batch ORDER BY id")
        ).all()
    assert len(batches) == 2
    assert sorted(b.inserted for b in batches) == [0, rows], batches
    assert sum(b.updated for b in batches) == 0 and max(b.unchanged for b in batches) == rows
    engine.dispose()
