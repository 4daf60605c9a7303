"""The web pages' own database (Ninh Bình + the map tests' records), app and logins.

The page tests write (planned sites, logins), so they have their own database; the
read-only page checks use the data API's seeded database (tests.api.data_fixtures).
Import the fixtures into a test module (``from tests.api.pages_fixtures import *``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL, Engine

from api.app import create_app
from gis import auth
from gis.boundaries import fetch_boundaries
from gis.database import make_engine
from gis.settings import Settings
from tests.api.conftest import PASSWORD
from tests.maps.records import seed_records

__all__ = ["pages_setup"]  # the fixture; helpers are imported by name

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PAGE_USERS = {"viewer": "planner_pages", "officer": "officer_pages", "admin": "chief_pages"}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class PagesSetup:
    """The pages database, its engine, settings (own home: page cache) and the app."""

    url: URL
    engine: Engine
    settings: Settings
    app: FastAPI


@pytest.fixture(scope="session")
def pages_setup(make_test_database, boundary_mirror, tmp_path_factory) -> Iterator[PagesSetup]:
    url = make_test_database("pages")
    engine = make_engine(url)
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        home=tmp_path_factory.mktemp("pages-home"),
    )
    fetch_boundaries(engine, settings, "37", source=str(boundary_mirror))
    seed_records(engine)
    auth.add_user(engine, PAGE_USERS["viewer"], PASSWORD, "viewer")
    auth.add_user(engine, PAGE_USERS["officer"], PASSWORD, "officer", scope=["37"])
    auth.add_user(engine, PAGE_USERS["admin"], PASSWORD, "admin")
    yield PagesSetup(url, engine, settings, create_app(settings, engine=engine))
    engine.dispose()


def form_token(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = _TOKEN.search(html)
    assert found, "no form token on the page"
    return found.group(1)


@contextmanager
def logged_in(app: FastAPI, role: str | None) -> Iterator[TestClient]:
    """A browser-like client (cookies, Accept: text/html) logged in through the login form;
    ``role`` None stays anonymous."""
    with TestClient(app, headers=HTML) as client:
        if role is not None:
            token = form_token(client.get("/").text)
            r = client.post(
                "/login",
                data={"username": PAGE_USERS[role], "password": PASSWORD, "csrf_token": token},
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
        yield client


def table_rows(html: str, table: str) -> list[str]:
    """The <tr> elements of the body of the table with id ``table``."""
    body = html.split(f'id="{table}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr(?: data-code=\"[^\"]*\")?>.*?</tr>", body, re.DOTALL)


def cells(row: str) -> list[str]:
    """The contents of the <td> cells of one row."""
    return re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
