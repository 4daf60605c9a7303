"""Sites and incidents the map tests write into their own Ninh Bình database (fixed seed).

The importer is not used: rows go straight into the tables. The incidents make one strong
hot cluster (a commune and its neighbours) over a thin background, so that Gi*, the H3
grid and the density surface all have something to show.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.commune_index import CommuneIndex
from gis.domain import INCIDENT_CATEGORIES, SITE_KINDS, keys
from tests.gis.analysis_fixtures import commune_points, insert_incidents, neighbours_of

SEED = 20250701
EVIL_SITE = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">Họ Đinh'
AS_OF = date(2025, 12, 31)
HOT_PER_COMMUNE = 150
BACKGROUND_PER_COMMUNE = 4


def _insert_site(conn, **values) -> int:
    return conn.scalar(
        sa.text(
            "INSERT INTO site (ref, name, kind, components, status, started_on, host_unit, "
            "province_code, commune_code, geom, precision, score, is_synthetic, created_by, "
            "updated_by) VALUES (:ref, :name, :kind, CAST(:components AS smallint[]), :status, "
            ":started_on, :host_unit, '37', :commune, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), "
            "'coordinates', 1, :synthetic, 'test', 'test') RETURNING id"
        ),
        values,
    )


def seed_sites(engine: Engine, rng: np.random.Generator, synthetic: bool = True) -> dict:
    """Sites of every kind and status in 12 communes; one with a hostile name."""
    points = commune_points(engine)
    chosen = points.iloc[rng.choice(len(points), 12, replace=False)].reset_index(drop=True)
    kinds = keys(SITE_KINDS)
    plan = []  # (commune row, kind, status, components, history)
    for i, row in chosen.iterrows():
        status = ("replicated", "pilot", "replicated", "planned", "suspended", "replicated")[i % 6]
        count = int(rng.integers(1, 6))
        components = sorted(rng.choice(np.arange(1, 6), count, replace=False).tolist())
        history = [("pilot", date(2020 + i % 4, 3, 1))]
        if status in ("replicated", "suspended"):
            history.append(("replicated", date(2021 + i % 4, 6, 1)))
        if status == "suspended":
            history.append(("suspended", date(2025, 2, 1)))
        if status == "planned":
            history = []
        plan.append((row, kinds[i % len(kinds)], status, components, history))
    ids = {}
    with engine.begin() as conn:
        for n, (row, kind, status, components, history) in enumerate(plan):
            name = EVIL_SITE if n == 0 else f"Mô hình {kind} {row.code}"
            site_id = _insert_site(
                conn,
                ref=f"S{n:03d}",
                name=name,
                kind=kind,
                components=components,
                status=status,
                started_on=history[0][1] if history else None,
                host_unit=f"Công an xã {row.code}",
                commune=row.code,
                lon=float(row.lon),
                lat=float(row.lat),
                synthetic=synthetic,
            )
            ids[name] = (site_id, row.code, kind, status)
            for state, on in history:
                conn.execute(
                    sa.text(
                        "INSERT INTO site_status_history (site_id, status, changed_on, "
                        "changed_by) VALUES (:id, :s, :on, 'test')"
                    ),
                    {"id": site_id, "s": state, "on": on},
                )
    return ids


def seed_incidents(engine: Engine, rng: np.random.Generator) -> dict:
    """A hot cluster around one commune and its neighbours, a sparse background elsewhere."""
    points = commune_points(engine).set_index("code")
    hot_centre = points.index[len(points) // 2]
    hot = [hot_centre, *neighbours_of(engine, hot_centre)]
    index = CommuneIndex.from_engine(engine, "37")
    lon, lat = [], []
    for code in hot:
        lon.append(rng.normal(points.loc[code, "lon"], 0.004, HOT_PER_COMMUNE))
        lat.append(rng.normal(points.loc[code, "lat"], 0.004, HOT_PER_COMMUNE))
    background = points.loc[points.index.repeat(BACKGROUND_PER_COMMUNE)]
    lon.append(background["lon"].to_numpy() + rng.normal(0, 0.003, len(background)))
    lat.append(background["lat"].to_numpy() + rng.normal(0, 0.003, len(background)))
    lon, lat = np.concatenate(lon), np.concatenate(lat)
    inside = index.lookup(lon, lat) >= 0
    lon, lat = lon[inside], lat[inside]
    n = len(lon)
    days = rng.integers(0, 730, n)
    start = datetime(2024, 1, 1, 8, tzinfo=UTC)
    occurred = [start + timedelta(days=int(d)) for d in days]
    categories = rng.choice(keys(INCIDENT_CATEGORIES), n)
    insert_incidents(engine, lon, lat, occurred_at=occurred, category=list(categories))
    return {"hot": hot, "incidents": n}


def seed_records(engine: Engine, synthetic: bool = True) -> dict:
    """Write the sites and incidents of the map tests; returns what the tests check against."""
    rng = np.random.default_rng(SEED)
    sites = seed_sites(engine, rng, synthetic)
    incidents = seed_incidents(engine, rng)
    return {"sites": sites, **incidents}
