"""The app against real PostGIS: a TestClient per database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from gis.settings import Settings


@pytest.fixture(scope="session")
def nb_client(nb_engine, nb_url, tmp_path_factory) -> Iterator[TestClient]:
    """The app over the Ninh Bình database (read-only use)."""
    settings = Settings(
        database_url=nb_url.render_as_string(hide_password=False),
        home=tmp_path_factory.mktemp("api-home"),
    )
    with TestClient(create_app(settings, engine=nb_engine)) as client:
        yield client
