"""Fixtures and writers for the analysis tests: Ninh Bình loaded, sites and incidents by COPY.

The importer is written elsewhere; these tests write their own rows straight into the
tables (bulk COPY), with fixed seeds and small hand-computable cases.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from gis.boundaries import fetch_boundaries
from gis.commune_index import CommuneIndex
from gis.database import make_engine
from gis.settings import Settings

RECORD_TABLES = (
    "analysis_result",
    "site_status_history",
    "site",
    "incident",
    "population",
    "data_change",
)
_SITE_NUMBERS = itertools.count(1)


@pytest.fixture(scope="session")
def analysis_url(make_test_database, boundary_mirror: Path, tmp_path_factory) -> URL:
    """A database of our own with Ninh Bình (37) loaded; records are written per test."""
    url = make_test_database("analysis")
    engine = make_engine(url)
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        home=tmp_path_factory.mktemp("analysis-home"),
    )
    fetch_boundaries(engine, settings, "37", source=str(boundary_mirror))
    engine.dispose()
    return url


@pytest.fixture
def analysis_engine(analysis_url: URL) -> Iterator[Engine]:
    """Ninh Bình with no sites, incidents, population or stored results."""
    engine = make_engine(analysis_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {', '.join(RECORD_TABLES)} RESTART IDENTITY CASCADE"))
    yield engine
    engine.dispose()


def _copy(engine: Engine, table: str, frame: pd.DataFrame) -> None:
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        columns = ", ".join(frame.columns)
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in frame.itertuples(index=False):
                copy.write_row(tuple(row))


def commune_points(engine: Engine, codes: list[str] | None = None) -> pd.DataFrame:
    """A point inside each commune (ST_PointOnSurface): code, lon, lat, area_km2."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT code, ST_X(p) AS lon, ST_Y(p) AS lat, area_km2 FROM "
                "(SELECT code, area_km2, ST_PointOnSurface(geom) p FROM admin_unit "
                " WHERE level = 'commune' AND (CAST(:c AS text[]) IS NULL OR code = ANY(:c))) s "
                "ORDER BY code"
            ),
            {"c": codes},
        ).mappings()
        return pd.DataFrame(rows.all())


def insert_incidents(
    engine: Engine,
    lon,
    lat,
    *,
    commune_code=None,
    occurred_at=None,
    category="crime",
    precision="coordinates",
    province_code="37",
) -> int:
    """Insert incidents at (lon, lat); communes found by point-in-polygon unless given."""
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    n = len(lon)
    if commune_code is None:
        commune_code = CommuneIndex.from_engine(engine).commune_codes(lon, lat)
        if any(c is None for c in commune_code):
            raise ValueError("a test incident falls outside every loaded commune")
    with engine.connect() as conn:
        start = conn.scalar(sa.text("SELECT count(*) FROM incident"))
    frame = pd.DataFrame(
        {
            "province_code": province_code,
            "source": "test",
            "external_ref": [f"t{start + i}" for i in range(n)],
            "occurred_at": _broadcast(
                occurred_at if occurred_at is not None else datetime(2024, 6, 1, tzinfo=UTC),
                n,
            ),
            "category": _broadcast(category, n),
            "commune_code": _broadcast(commune_code, n),
            "geom": shapely.to_wkt(shapely.points(lon, lat)),
            "precision": _broadcast(precision, n),
            "score": 1.0,
            "is_synthetic": True,
        }
    )
    frame["geom"] = "SRID=4326;" + frame["geom"]
    _copy(engine, "incident", frame)
    return n


def _broadcast(value, n: int) -> list:
    if isinstance(value, str | datetime | date) or np.isscalar(value):
        return [value] * n
    values = list(value)
    assert len(values) == n
    return values


def insert_site(
    engine: Engine,
    commune_code: str,
    *,
    kind: str = "village",
    components=(1, 2, 3, 4, 5),
    status: str = "replicated",
    started_on: date | None = date(2021, 3, 1),
    history: list[tuple[str, date]] | None = None,
    lon: float | None = None,
    lat: float | None = None,
    ref: str | None = None,
) -> int:
    """Insert one site (at the commune's inner point unless given) and its status history."""
    if lon is None:
        point = commune_points(engine, [commune_code]).iloc[0]
        lon, lat = float(point.lon), float(point.lat)
    with engine.begin() as conn:
        province = conn.scalar(
            sa.text("SELECT parent_code FROM admin_unit WHERE code = :c"), {"c": commune_code}
        )
        site_id = conn.scalar(
            sa.text(
                "INSERT INTO site (ref, name, kind, components, status, started_on, "
                "province_code, commune_code, geom, precision, score, is_synthetic, "
                "created_by, updated_by) VALUES (:ref, :name, :kind, "
                "CAST(:components AS smallint[]), :status, :started_on, :province, :commune, "
                "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'coordinates', 1, true, "
                "'test', 'test') RETURNING id"
            ),
            {
                "ref": ref or f"{commune_code}-{kind}-{next(_SITE_NUMBERS)}",
                "name": f"Mô hình {commune_code}",
                "kind": kind,
                "components": list(components),
                "status": status,
                "started_on": started_on,
                "province": province,
                "commune": commune_code,
                "lon": lon,
                "lat": lat,
            },
        )
        for state, changed_on in history or []:
            conn.execute(
                sa.text(
                    "INSERT INTO site_status_history (site_id, status, changed_on, changed_by) "
                    "VALUES (:id, :status, :on, 'test')"
                ),
                {"id": site_id, "status": state, "on": changed_on},
            )
    return site_id


def neighbours_of(engine: Engine, code: str) -> list[str]:
    """Queen neighbours of a commune computed directly in PostGIS (for the tests' setups)."""
    with engine.connect() as conn:
        return conn.scalars(
            sa.text(
                "SELECT b.code FROM admin_unit a JOIN admin_unit b ON b.level = 'commune' "
                "AND b.code <> a.code AND ST_Intersects(a.geom, b.geom) WHERE a.code = :c "
                "ORDER BY b.code"
            ),
            {"c": code},
        ).all()
