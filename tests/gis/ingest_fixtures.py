"""Fixtures of the import tests: a database of their own with Ninh Bình loaded (written to)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from gis.boundaries import fetch_boundaries
from gis.database import make_engine
from gis.ingest.locate import Locator
from gis.settings import Settings

DATA = Path(__file__).resolve().parent.parent / "data" / "ingest"
RECORD_TABLES = ("site", "site_status_history", "incident", "import_batch", "import_row_error")
EXPECTED_COMMUNES = {  # tests/data/ingest: reference → current commune
    "VV-001": "14329",  # Phường Hoa Lư, by coordinates (the address agrees)
    "VV-002": "13669",  # Phường Nam Định, by coordinates only
    "VV-003": "14464",  # xã Gia Viễn, new address
    "VV-004": "14464",  # xã Gia Hòa, huyện Gia Viễn: old address → Gia Viễn
    "VV-005": "13669",  # phuong Nam Dinh: no diacritics
    "VV-006": "14638",  # xã Kim Sơn, by coordinates
}


@pytest.fixture(scope="session")
def ingest_url(make_test_database, boundary_mirror: Path, tmp_path_factory) -> URL:
    """Ninh Bình (37) loaded; the import tests write records into it."""
    url = make_test_database("ingest")
    engine = make_engine(url)
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        home=tmp_path_factory.mktemp("ingest-home"),
    )
    fetch_boundaries(engine, settings, "37", source=str(boundary_mirror))
    engine.dispose()
    return url


@pytest.fixture
def records_engine(ingest_url: URL) -> Iterator[Engine]:
    """The ingest database with no sites, incidents or import batches."""
    engine = make_engine(ingest_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {', '.join(RECORD_TABLES)} RESTART IDENTITY CASCADE"))
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def locator(ingest_url: URL) -> Iterator[Locator]:
    """One commune index and geocoder for the session (loading them takes a second or two)."""
    engine = make_engine(ingest_url)
    yield Locator(engine)
    engine.dispose()


def incidents_by_ref(engine: Engine) -> dict[str, dict]:
    """Stored incidents keyed by reference."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT external_ref, commune_code, province_code, category, subcategory, "
                "precision, occurred_at, is_synthetic, address_commune_code, "
                "ST_X(geom) AS lon, ST_Y(geom) AS lat FROM incident"
            )
        ).mappings()
        return {r["external_ref"]: dict(r) for r in rows}


def write_incident_csv(
    engine: Engine, path: Path, rows: int, seed: int = 1, bad_last_row: bool = False
) -> Path:
    """A generated incident file: points inside the loaded communes, no addresses (and a
    last row with an impossible date when asked: all-or-nothing then reads and refuses)."""
    import numpy as np
    import pandas as pd
    import shapely

    from gis.commune_index import CommuneIndex

    index = CommuneIndex.from_engine(engine)
    rng = np.random.default_rng(seed)
    bounds = shapely.bounds(index.geoms)
    pick = rng.integers(len(index), size=rows * 3)
    x = rng.uniform(bounds[pick, 0], bounds[pick, 2])
    y = rng.uniform(bounds[pick, 1], bounds[pick, 3])
    inside = shapely.contains_xy(index.geoms[pick], x, y)
    x, y = x[inside][:rows], y[inside][:rows]
    assert len(x) == rows
    seconds = rng.integers(1_577_836_800, 1_735_689_600, size=rows)  # 2020–2024
    frame = pd.DataFrame(
        {
            "Mã vụ việc": [f"G{seed}-{i:07d}" for i in range(rows)],
            "Ngày xảy ra": pd.to_datetime(seconds, unit="s").strftime("%d/%m/%Y %H:%M"),
            "Loại vụ việc": np.array(["Trộm cắp", "Ma túy", "Cháy", "Tai nạn giao thông"])[
                rng.integers(4, size=rows)
            ],
            "Vĩ độ": np.round(y, 6),
            "Kinh độ": np.round(x, 6),
        }
    )
    if bad_last_row:
        frame.loc[rows - 1, "Ngày xảy ra"] = "31/02/2024"
    frame.to_csv(path, index=False)
    return path
