"""Session fixtures of the thematic map tests: our own Ninh Bình database with records.

Import the fixtures into a test module (``thematic_url = fx.thematic_url``). The database
is written once per run and read-only afterwards; stored results are computed on first use.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, Engine

from gis.boundaries import fetch_boundaries
from gis.database import make_engine
from gis.settings import Settings
from maps.province import ProvinceBase, load_province
from tests.maps.records import seed_records


@pytest.fixture(scope="session")
def thematic_url(make_test_database, boundary_mirror: Path, tmp_path_factory) -> URL:
    """Ninh Bình (37) with the seeded sites and incidents of tests/maps/records.py."""
    url = make_test_database("maps_thematic")
    engine = make_engine(url)
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        home=tmp_path_factory.mktemp("maps-home"),
    )
    fetch_boundaries(engine, settings, "37", source=str(boundary_mirror))
    seed_records(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def thematic_engine(thematic_url: URL) -> Iterator[Engine]:
    """Engine on the seeded database (read-only by convention, stored results aside)."""
    engine = make_engine(thematic_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def thematic_base(thematic_engine: Engine) -> ProvinceBase:
    """Ninh Bình's simplified communes from the seeded database."""
    return load_province(thematic_engine, "37")
