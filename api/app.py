"""create_app(settings): the FastAPI application; its lifespan owns the database engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import Depends, FastAPI
from sqlalchemy.engine import Engine

from api import errors
from api.hardening import SecurityHeaders
from api.limits import BodyLimit
from api.routes import admin, auth, geocode, imports, incidents, map_pages, ogc, pages, sites, tiles
from api.security import decide
from gis import migrations
from gis.database import open_engine
from gis.errors import DatabaseUnavailable
from gis.settings import Settings

DESCRIPTION = """
Dịch vụ bản đồ mô hình “5 tự quản” về an ninh trật tự — the tuquan GIS service:
administrative units (since 1 July 2025), model sites, coverage, hotspots and
replication candidates, as OGC API – Features, vector tiles, maps and a dashboard.
"""


def _check_schema(engine: Engine) -> None:
    current, head = migrations.current_revision(engine), migrations.head_revision(engine)
    if current != head:
        raise DatabaseUnavailable(
            f"the database schema is at {current or 'nothing'}, the code needs {head}",
            "run `tuquan db upgrade`",
        )


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The application; an ``engine`` given here is used as is and not disposed."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = engine is None
        app.state.engine = open_engine(settings) if owned else engine
        _check_schema(app.state.engine)
        try:
            yield
        finally:
            if owned:
                app.state.engine.dispose()

    app = FastAPI(
        title="tuquan",
        version=version("tuquan"),
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(decide)],
        openapi_tags=[
            {"name": "OGC API – Features", "description": "Part 1: Core, GeoJSON"},
            {"name": "Vector tiles", "description": "Mapbox vector tiles from PostGIS"},
            {"name": "Access", "description": "Log in and out; roles viewer, officer, admin"},
            {"name": "Sites", "description": "Sites of the model (officers, in scope, audited)"},
            {"name": "Incidents", "description": "One incident by hand; aggregate statistics"},
            {"name": "Imports", "description": "File uploads through the import path"},
            {"name": "Geocoding", "description": "Addresses to communes and points (offline)"},
            {"name": "Dashboard", "description": "The web pages: dashboard, login, forms"},
            {"name": "Maps and figures", "description": "Maps (HTML) and A4 figures (PNG, PDF)"},
        ],
    )
    app.state.settings = settings
    errors.install(app)
    app.include_router(auth.router)
    app.include_router(admin.router)
    app.include_router(ogc.router)
    app.include_router(tiles.router)
    app.add_middleware(BodyLimit)
    for router in (sites.router, incidents.router, imports.router, geocode.router):
        app.include_router(router)
    app.include_router(pages.router)
    app.include_router(map_pages.router)
    app.add_middleware(SecurityHeaders)  # last added, outermost: every response has the headers
    return app
