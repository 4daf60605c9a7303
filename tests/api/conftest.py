"""The app against real PostGIS, with one account per role.

`api_url` is a session database with Ninh Bình loaded and three accounts; tests that
write records clean up after themselves or use their own database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from gis import auth
from gis.boundaries import fetch_boundaries
from gis.database import make_engine
from gis.settings import Settings

PASSWORD = "mật khẩu thử nghiệm"  # test accounts only
ROLES = {"viewer": "planner", "officer": "officer37", "admin": "chief"}


@pytest.fixture(scope="session")
def api_url(make_test_database, boundary_mirror, tmp_path_factory):
    url = make_test_database("api")
    engine = make_engine(url)
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        home=tmp_path_factory.mktemp("api-home"),
    )
    fetch_boundaries(engine, settings, "37", source=str(boundary_mirror))
    auth.add_user(engine, ROLES["viewer"], PASSWORD, "viewer")
    auth.add_user(engine, ROLES["officer"], PASSWORD, "officer", scope=["37"])
    auth.add_user(engine, ROLES["admin"], PASSWORD, "admin")
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def api_engine(api_url):
    engine = make_engine(api_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def api_app(api_url, api_engine, tmp_path_factory):
    settings = Settings(
        database_url=api_url.render_as_string(hide_password=False),
        home=tmp_path_factory.mktemp("api-app-home"),
    )
    return create_app(settings, engine=api_engine)


@pytest.fixture(scope="session")
def tokens(api_engine) -> dict[str, str]:
    """A bearer token per role."""
    return {role: auth.issue_token(api_engine, user)[0] for role, user in ROLES.items()}


@pytest.fixture(scope="session")
def clients(api_app, tokens) -> Iterator[dict[str, TestClient]]:
    """A client per role ('anonymous' sends no token)."""
    with TestClient(api_app) as anonymous:
        made = {"anonymous": anonymous}
        for role, token in tokens.items():
            made[role] = TestClient(api_app, headers={"Authorization": f"Bearer {token}"})
            made[role].__enter__()
        yield made
        for role in tokens:
            made[role].__exit__(None, None, None)


@pytest.fixture(scope="session")
def nb_client(clients) -> TestClient:
    """A viewer's client (aggregates, maps, collections)."""
    return clients["viewer"]


@pytest.fixture
def nb_engine(api_engine):
    """The API tests' database (Ninh Bình + accounts)."""
    return api_engine
