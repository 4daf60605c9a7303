"""Databases of the data API tests: Ninh Bình (37) and Hà Nội (01), accounts of every role.

`data_*`: seeded once with sites and incidents (the map tests' records in Ninh Bình, and
1 + 2 + 5 incidents in three Hà Nội communes for the small-count rules): read-only.
`write_*`: the same units and accounts, no records: the write tests add their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL, Engine

from api.app import create_app
from gis import auth
from gis.boundaries import fetch_boundaries
from gis.database import make_engine
from gis.settings import Settings
from tests.api.conftest import PASSWORD
from tests.gis.analysis_fixtures import commune_points, insert_incidents, insert_site
from tests.maps.records import seed_records

SMALL = {"one": 1, "two": 2, "five": 5}  # incidents in three Hà Nội communes
# role name in the tests → (user, role, scope); a SMALL key stands for that Hà Nội commune
ACCOUNTS = {
    "viewer": ("planner_data", "viewer", None),
    "officer37": ("officer_nb", "officer", ["37"]),
    "officer01": ("officer_hn", "officer", ["01"]),
    "officer01_one": ("officer_hn_xa", "officer", ["one"]),  # one commune of Hà Nội
    "admin": ("chief_data", "admin", None),
}


@dataclass
class Setup:
    """A database, its engine, the app on it, tokens per role and the Hà Nội communes."""

    url: URL
    engine: Engine
    settings: Settings
    tokens: dict[str, str]
    token_ids: dict[str, int]
    hanoi: dict[str, str]  # SMALL key → commune code


def _load(make_test_database, boundary_mirror: Path, home: Path, name: str, seed=None) -> URL:
    url = make_test_database(name)
    engine = make_engine(url)
    settings = Settings(database_url=url.render_as_string(hide_password=False), home=home)
    fetch_boundaries(engine, settings, "37", source=str(boundary_mirror))
    if seed is not None:  # the map tests' records expect Ninh Bình alone
        seed(engine)
    fetch_boundaries(engine, settings, "01", source=str(boundary_mirror))
    hanoi = _hanoi_communes(engine)
    for user, role, scope in ACCOUNTS.values():
        scope = None if scope is None else [hanoi.get(code, code) for code in scope]
        auth.add_user(engine, user, PASSWORD, role, scope=scope)
    engine.dispose()
    return url


def _hanoi_communes(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        codes = conn.scalars(
            sa.text("SELECT code FROM admin_unit WHERE parent_code = '01' ORDER BY code LIMIT 3")
        ).all()
    return dict(zip(SMALL, codes, strict=True))


def _setup(url: URL, home: Path) -> Setup:
    engine = make_engine(url)
    settings = Settings(database_url=url.render_as_string(hide_password=False), home=home)
    tokens, ids = {}, {}
    for role, (user, *_) in ACCOUNTS.items():
        tokens[role], _ = auth.issue_token(engine, user, name=f"tests {role}")
        ids[role] = auth.principal_for_token(engine, tokens[role]).token_id
    return Setup(url, engine, settings, tokens, ids, _hanoi_communes(engine))


@pytest.fixture(scope="session")
def data_url(make_test_database, boundary_mirror, tmp_path_factory) -> URL:
    home = tmp_path_factory.mktemp("d")
    url = _load(make_test_database, boundary_mirror, home, "api_data", seed=seed_records)
    engine = make_engine(url)
    hanoi = _hanoi_communes(engine)
    points = commune_points(engine, list(hanoi.values())).set_index("code")
    for key, n in SMALL.items():
        code = hanoi[key]
        insert_incidents(
            engine,
            [points.loc[code, "lon"]] * n,
            [points.loc[code, "lat"]] * n,
            commune_code=code,
            category="crime" if key != "two" else "other",
            occurred_at=datetime(2025, 3, 1, 9, tzinfo=UTC),
            province_code="01",
        )
    insert_site(engine, hanoi["five"], ref="HN-1", kind="clan")
    engine.dispose()
    return url


def _clients(setup: Setup) -> Iterator[dict[str, TestClient]]:
    app = create_app(setup.settings, engine=setup.engine)
    with TestClient(app) as anonymous:
        made = {"anonymous": anonymous}
        for role, token in setup.tokens.items():
            made[role] = TestClient(app, headers={"Authorization": f"Bearer {token}"})
            made[role].__enter__()
        yield made
        for role in setup.tokens:
            made[role].__exit__(None, None, None)


@pytest.fixture(scope="session")
def data_setup(data_url, tmp_path_factory) -> Iterator[Setup]:
    setup = _setup(data_url, tmp_path_factory.mktemp("data-app"))
    yield setup
    setup.engine.dispose()


@pytest.fixture(scope="session")
def data_clients(data_setup) -> Iterator[dict[str, TestClient]]:
    """Clients per role on the seeded database (anonymous, viewer, officer37, officer01,
    officer01_one, admin)."""
    yield from _clients(data_setup)


@pytest.fixture(scope="session")
def write_url(make_test_database, boundary_mirror, tmp_path_factory) -> URL:
    return _load(make_test_database, boundary_mirror, tmp_path_factory.mktemp("w"), "api_write")


@pytest.fixture(scope="session")
def write_setup(write_url, tmp_path_factory) -> Iterator[Setup]:
    setup = _setup(write_url, tmp_path_factory.mktemp("write-app"))
    yield setup
    setup.engine.dispose()


@pytest.fixture(scope="session")
def write_clients(write_setup) -> Iterator[dict[str, TestClient]]:
    """Clients per role on the database the write tests write to."""
    yield from _clients(write_setup)
