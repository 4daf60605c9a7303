"""Test fixtures: a real PostgreSQL + PostGIS (never mocked, never skipped) and the shared data.

The server is the project-managed local cluster (started if needed) or the one named by
TUQUAN_DATABASE_URL. Each test run creates its own databases and drops them at the end.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from gis import migrations
from gis.boundaries import fetch_boundaries
from gis.database import create_database, drop_database, make_engine, server_url
from gis.settings import PROJECT_ROOT, Settings

RUN_ID = f"{os.getpid()}"
KEEP_TABLES = ("spatial_ref_sys", "alembic_version")


def _find_shared_data() -> Path:
    candidates = [
        os.environ.get("TUQUAN_SHARED_DATA"),
        PROJECT_ROOT.parent / "shared" / "data",
        "/work/shared/data",
    ]
    for c in candidates:
        if c and (Path(c) / "vietnamese-provinces-database").is_dir():
            return Path(c).resolve()
    raise pytest.UsageError(
        "the reference data (../shared/data) is missing: set TUQUAN_SHARED_DATA to its folder"
    )


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real reference data (../shared/data): boundaries and the national communes."""
    return _find_shared_data()


@pytest.fixture(scope="session")
def boundary_mirror(shared_data: Path) -> Path:
    """A byte-identical folder mirror of the pinned boundary origin."""
    return shared_data / "vietnamese-provinces-database"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def http_mirror(boundary_mirror: Path) -> Iterator[str]:
    """The same mirror served over HTTP on loopback (exercises the download path)."""
    handler = functools.partial(_QuietHandler, directory=str(boundary_mirror))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="session")
def pg_url() -> URL:
    """The server the tests run against; a missing server fails the run."""
    return server_url(Settings())


def _drop_stale_test_databases(url: URL) -> None:
    """Databases left behind by test runs whose process is gone."""
    engine = make_engine(url.set(database="postgres"))
    with engine.connect() as conn:
        names = conn.scalars(
            sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'tuquan_test_%'")
        ).all()
    engine.dispose()
    for name in names:
        pid = name.split("_")[2]
        if pid.isdigit() and pid != RUN_ID and not Path(f"/proc/{pid}").exists():
            drop_database(url.set(database=name))


@pytest.fixture(scope="session")
def make_test_database(pg_url: URL) -> Iterator[Callable[[str], URL]]:
    """Factory: a fresh, migrated database for this run, dropped at the end."""
    _drop_stale_test_databases(pg_url)
    created: list[URL] = []

    def make(suffix: str) -> URL:
        url = pg_url.set(database=f"tuquan_test_{RUN_ID}_{suffix}")
        drop_database(url)
        create_database(url)
        created.append(url)
        engine = make_engine(url)
        migrations.upgrade(engine)
        engine.dispose()
        return url

    yield make
    for url in created:
        drop_database(url)


def truncate_all(engine: Engine) -> None:
    """Empty every table of the project (schema kept)."""
    with engine.begin() as conn:
        tables = conn.scalars(
            sa.text(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> ALL(:keep)"
            ),
            {"keep": list(KEEP_TABLES)},
        ).all()
        # The audit log refuses TRUNCATE by trigger; a test reset may bypass it.
        for table in tables:
            conn.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        if tables:
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        for table in tables:
            conn.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


@pytest.fixture(scope="session")
def blank_url(make_test_database) -> URL:
    return make_test_database("blank")


@pytest.fixture
def blank_engine(blank_url: URL) -> Iterator[Engine]:
    """A migrated database emptied before the test: for tests that write boundaries."""
    engine = make_engine(blank_url)
    truncate_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def nb_url(make_test_database, boundary_mirror: Path, tmp_path_factory) -> URL:
    """A database with Ninh Bình (37) loaded from the mirror: treat it as read-only."""
    url = make_test_database("nb")
    engine = make_engine(url)
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        home=tmp_path_factory.mktemp("nb-home"),
    )
    fetch_boundaries(engine, settings, "37", source=str(boundary_mirror))
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def nb_engine(nb_url: URL) -> Iterator[Engine]:
    """Engine on the Ninh Bình database (read-only by convention)."""
    engine = make_engine(nb_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings_for(tmp_path: Path, boundary_mirror: Path) -> Callable[[URL], Settings]:
    """Settings pointing at a test database, a private home and the mirror."""

    def make(url: URL) -> Settings:
        return Settings(
            database_url=url.render_as_string(hide_password=False),
            home=tmp_path / "home",
            boundary_source=str(boundary_mirror),
        )

    return make


@pytest.fixture
def cli(monkeypatch, capsys, tmp_path: Path):
    """Run `tuquan ARGS` in-process against a database: returns (exit code, stdout, stderr)."""
    from tuquan import context
    from tuquan.cli import run

    def invoke(url: URL, *args: str, **env: str) -> tuple[int, str, str]:
        monkeypatch.setenv("TUQUAN_DATABASE_URL", url.render_as_string(hide_password=False))
        monkeypatch.setenv("TUQUAN_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("COLUMNS", "200")
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        context.reset()
        capsys.readouterr()
        code = run(list(args))
        out, err = capsys.readouterr()
        context.reset()
        return code, out, err

    return invoke


@pytest.fixture(scope="session")
def national_url(make_test_database, boundary_mirror: Path, shared_data: Path, tmp_path_factory):
    """A database with all 34 provinces and all 3,321 communes (simplified national file)."""
    from gis.boundaries import load_boundary_file
    from gis.boundary_reader import FieldMap

    url = make_test_database("national")
    engine = make_engine(url)
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        home=tmp_path_factory.mktemp("national-home"),
    )
    fetch_boundaries(engine, settings, "all", source=str(boundary_mirror))
    fields = FieldMap(
        code="code", name="name", full_name="fullName", name_en="nameEn", parent="province_code"
    )
    national = shared_data / "national" / "vn_wards_2025_simplified.geojson.gz"
    load_boundary_file(engine, national, "commune", fields)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def national_engine(national_url: URL) -> Iterator[Engine]:
    """Engine on the national database (read-only by convention)."""
    engine = make_engine(national_url)
    yield engine
    engine.dispose()
