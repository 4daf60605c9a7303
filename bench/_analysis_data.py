"""Data for bench/analysis.py: all national communes, 1,000,000 synthetic incidents, sites.

Kept in the database ``tuquan_bench_analysis`` (created on first use, ~2 minutes), all
rows flagged synthetic, fixed seeds.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis import migrations
from gis.boundaries import fetch_boundaries, load_boundary_file
from gis.boundary_reader import FieldMap
from gis.commune_index import CommuneIndex
from gis.database import create_database, make_engine, server_url
from gis.settings import PROJECT_ROOT, Settings

DATABASE = "tuquan_bench_analysis"
INCIDENTS = 1_000_000
SITES = 2_000
SEED = 20250701
CATEGORIES = ("crime", "social_evils", "property_fire", "public_order", "offenders", "other")


def shared_data() -> Path:
    for c in (os.environ.get("TUQUAN_SHARED_DATA"), PROJECT_ROOT.parent / "shared" / "data"):
        if c and (Path(c) / "national").is_dir():
            return Path(c)
    raise SystemExit("../shared/data is missing: set TUQUAN_SHARED_DATA")


def bench_engine() -> Engine:
    """The bench database with every commune, the incidents and the sites loaded."""
    settings = Settings()
    url = server_url(settings, DATABASE)
    create_database(url)
    engine = make_engine(url)
    migrations.upgrade(engine)
    with engine.connect() as conn:
        communes = conn.scalar(sa.text("SELECT count(*) FROM admin_unit WHERE level='commune'"))
        incidents = conn.scalar(sa.text("SELECT count(*) FROM incident"))
    shared = shared_data()
    if communes < 3321:
        print("loading the national communes (once)")
        local = Settings(database_url=url.render_as_string(hide_password=False),
                         home=settings.home)  # fmt: skip
        fetch_boundaries(engine, local, "all", source=str(shared / "vietnamese-provinces-database"))
        fields = FieldMap(code="code", name="name", full_name="fullName", name_en="nameEn",
                          parent="province_code")  # fmt: skip
        load_boundary_file(
            engine, shared / "national" / "vn_wards_2025_simplified.geojson.gz", "commune", fields
        )
    if incidents < INCIDENTS:
        print(f"writing {INCIDENTS:,} synthetic incidents and {SITES:,} sites (once)")
        _write_records(engine)
    return engine


def synthetic_points(index: CommuneIndex, n: int, rng: np.random.Generator):
    """Points inside communes: 70 % spread evenly, 30 % around 300 cluster centres."""
    bounds = np.array([g.bounds for g in index.geoms])
    weight = (bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])
    lon, lat, code = [], [], []
    while sum(len(x) for x in lon) < n:
        k = rng.choice(len(bounds), 2 * n, p=weight / weight.sum())
        x = rng.uniform(bounds[k, 0], bounds[k, 2])
        y = rng.uniform(bounds[k, 1], bounds[k, 3])
        spread = rng.random(2 * n) < 0.3
        centres = rng.choice(len(bounds), 300)
        c = rng.choice(centres, spread.sum())
        x[spread] = (bounds[c, 0] + bounds[c, 2]) / 2 + rng.normal(0, 0.02, spread.sum())
        y[spread] = (bounds[c, 1] + bounds[c, 3]) / 2 + rng.normal(0, 0.02, spread.sum())
        found = index.lookup(x, y)
        keep = found >= 0
        lon.append(x[keep])
        lat.append(y[keep])
        code.append(index.codes[found[keep]])
    return (np.concatenate(lon)[:n], np.concatenate(lat)[:n], np.concatenate(code)[:n])


def _write_records(engine: Engine) -> None:
    rng = np.random.default_rng(SEED)
    index = CommuneIndex.from_engine(engine)
    province_of = dict(zip(index.codes, index.province_codes, strict=True))
    lon, lat, code = synthetic_points(index, INCIDENTS, rng)
    start = datetime(2020, 1, 1, tzinfo=UTC).timestamp()
    seconds = rng.uniform(0, datetime(2025, 7, 1, tzinfo=UTC).timestamp() - start, INCIDENTS)
    frame = pd.DataFrame(
        {
            "province_code": pd.Series(code).map(province_of),
            "source": "bench",
            "external_ref": np.char.add("b", np.arange(INCIDENTS).astype(str)),
            "occurred_at": pd.to_datetime(start + seconds, unit="s", utc=True),
            "category": rng.choice(CATEGORIES, INCIDENTS, p=[0.3, 0.2, 0.15, 0.2, 0.05, 0.1]),
            "commune_code": code,
            "geom": "SRID=4326;POINT(" + pd.Series(lon).round(6).astype(str) + " "
            + pd.Series(lat).round(6).astype(str) + ")",
            "precision": rng.choice(["coordinates", "street", "commune"], INCIDENTS,
                                    p=[0.8, 0.1, 0.1]),
            "score": 1.0,
            "is_synthetic": True,
        }
    )  # fmt: skip
    sites = rng.choice(index.codes, SITES, replace=False)
    started = [date(2019 + int(y), 1 + int(m), 1) for y, m in zip(rng.integers(0, 6, SITES),
                                                                  rng.integers(0, 12, SITES),
                                                                  strict=True)]  # fmt: skip
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        text = frame.to_csv(index=False, header=False)
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY incident ({', '.join(frame.columns)}) FROM STDIN (FORMAT csv)") as copy,
        ):
            copy.write(text)
        conn.execute(
            sa.text(
                "INSERT INTO site (ref, name, kind, components, status, started_on, "
                "province_code, commune_code, geom, precision, score, is_synthetic, created_by, "
                "updated_by) SELECT 'bench-' || c.code, 'Mô hình ' || u.name, "
                "(ARRAY['commune','village','clan','religious','organisation'])[1 + c.n % 5], "
                "CAST(CASE c.n % 4 WHEN 0 THEN '{1,2,3,4,5}' WHEN 1 THEN '{1,2,4,5}' "
                "WHEN 2 THEN '{1,4}' ELSE '{2,3,5}' END AS smallint[]), "
                "(ARRAY['pilot','replicated','replicated','suspended','planned'])[1 + c.n % 5], "
                "c.started, u.parent_code, c.code, ST_PointOnSurface(u.geom), 'coordinates', 1, "
                "true, 'bench', 'bench' FROM unnest(CAST(:codes AS text[]), "
                "CAST(:started AS date[])) WITH ORDINALITY AS c(code, started, n) "
                "JOIN admin_unit u ON u.code = c.code"
            ),
            {"codes": list(sites), "started": started},
        )
        conn.execute(sa.text("ANALYZE incident"))
