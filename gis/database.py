"""Engines and databases: the configured server, or the project-managed local cluster."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from gis.cluster import LocalCluster
from gis.errors import ConfigurationError, DatabaseUnavailable
from gis.settings import Settings

POSTGIS_HINT = (
    "install PostGIS for your PostgreSQL server: on Debian/Ubuntu "
    "`apt-get install postgresql-15-postgis-3` (or run `make demo`/`make test`, which do it)"
)


def server_url(settings: Settings, database: str | None = None) -> URL:
    """URL of the configured server; the local cluster is started when it is the default."""
    if settings.database_url:
        url = make_url(settings.database_url)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return url.set(database=database) if database else url
    cluster = LocalCluster.from_settings(settings)
    cluster.start()
    return cluster.url(database or settings.database_name)


def make_engine(url: URL | str, **kwargs) -> Engine:
    """An engine with connection checks; the caller owns and disposes of it."""
    return sa.create_engine(url, pool_pre_ping=True, future=True, **kwargs)


def _admin_engine(url: URL) -> Engine:
    return make_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def create_database(url: URL) -> bool:
    """Create the database named in ``url`` if it is missing; True when created."""
    engine = _admin_engine(url)
    try:
        with engine.connect() as conn:
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}
            )
            if not exists:
                quoted = conn.dialect.identifier_preparer.quote(url.database)
                conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
            return not exists
    except sa.exc.OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot connect to PostgreSQL at {url.render_as_string(hide_password=True)}: "
            f"{exc.orig}",
            "start it with `tuquan db start` or check TUQUAN_DATABASE_URL",
        ) from None
    finally:
        engine.dispose()


def drop_database(url: URL) -> None:
    """Drop the database named in ``url`` (closing other sessions on it first)."""
    engine = _admin_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": url.database},
            )
            quoted = conn.dialect.identifier_preparer.quote(url.database)
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted}"))
    finally:
        engine.dispose()


def check_postgis(engine: Engine) -> str:
    """PostGIS version available to the server, or a clear error."""
    try:
        with engine.connect() as conn:
            version = conn.scalar(
                sa.text("SELECT default_version FROM pg_available_extensions WHERE name='postgis'")
            )
    except sa.exc.OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot connect to the database: {exc.orig}",
            "start it with `tuquan db start` or check TUQUAN_DATABASE_URL",
        ) from None
    if not version:
        raise ConfigurationError("the PostgreSQL server has no PostGIS extension", POSTGIS_HINT)
    return version


def open_engine(settings: Settings) -> Engine:
    """The engine for the configured database, created (not migrated) when missing."""
    url = server_url(settings)
    create_database(url)
    return make_engine(url)
