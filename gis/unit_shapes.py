"""Unit polygons as GeoDataFrames, with where they came from: what the maps draw.

The maps (and anything else that needs whole units with their source line) read them here,
so that SQL stays in gis/. Geometry is the stored full resolution, EPSG:4326.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import geopandas as gpd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from gis.errors import NotFound
from gis.schema import admin_unit, boundary_source

UNIT_COLUMNS = ("code", "name", "full_name", "unit_type", "area_km2")


@dataclass(frozen=True)
class UnitSource:
    """Who published the boundaries (attribution, licence) and when they were loaded."""

    attribution: str
    licence: str | None
    loaded_at: datetime | None


@dataclass(frozen=True)
class ProvinceShapes:
    """One province's name and its communes' polygons (code order), with their source."""

    code: str
    name: str
    full_name: str
    communes: gpd.GeoDataFrame  # code, name, full_name, unit_type, area_km2, geometry
    source: UnitSource


@dataclass(frozen=True)
class NationalShapes:
    """Every loaded province and commune (code order), with their sources."""

    provinces: gpd.GeoDataFrame  # code, name, full_name, unit_type, area_km2, geometry
    communes: gpd.GeoDataFrame  # same columns and province_code
    source: UnitSource


def _units(conn: Connection, condition) -> gpd.GeoDataFrame:
    u = admin_unit
    query = (
        sa.select(
            *(u.c[name] for name in UNIT_COLUMNS),
            u.c.parent_code.label("province_code"),
            sa.func.ST_AsBinary(u.c.geom).label("geometry"),
        )
        .where(condition)
        .order_by(u.c.code)
    )
    return gpd.read_postgis(query, conn, geom_col="geometry", crs=4326)


def _source(conn: Connection, condition) -> UnitSource:
    u, b = admin_unit, boundary_source
    row = conn.execute(
        sa.select(
            sa.func.string_agg(sa.distinct(b.c.attribution), "; "),
            sa.func.string_agg(sa.distinct(b.c.licence), ", "),
            sa.func.max(b.c.loaded_at),
        ).where(b.c.id.in_(sa.select(u.c.source_id).where(condition)))
    ).one()
    return UnitSource(row[0] or "", row[1], row[2])


def province_shapes(engine: Engine, province_code: str) -> ProvinceShapes:
    """A province and its communes; NotFound (with the command to run) when not loaded."""
    u = admin_unit
    with engine.connect() as conn:
        province = conn.execute(
            sa.select(u.c.code, u.c.name, u.c.full_name).where(
                u.c.code == province_code, u.c.level == "province"
            )
        ).one_or_none()
        if province is None:
            raise NotFound(
                f"province {province_code!r} is not loaded",
                f"run `tuquan boundaries fetch --province {province_code}` "
                "(`tuquan boundaries list` shows what is loaded)",
            )
        communes = _units(conn, sa.and_(u.c.parent_code == province_code, u.c.level == "commune"))
        source = _source(conn, sa.or_(u.c.code == province_code, u.c.parent_code == province_code))
    if communes.empty:
        raise NotFound(
            f"province {province_code} ({province.name}) has no communes loaded",
            f"run `tuquan boundaries fetch --province {province_code}`",
        )
    return ProvinceShapes(
        province.code,
        province.name,
        province.full_name,
        communes.drop(columns="province_code"),
        source,
    )


def national_shapes(engine: Engine) -> NationalShapes:
    """Every loaded province and commune; NotFound when no commune is loaded."""
    u = admin_unit
    with engine.connect() as conn:
        provinces = _units(conn, u.c.level == "province").drop(columns="province_code")
        communes = _units(conn, u.c.level == "commune")
        source = _source(conn, sa.true())
    if communes.empty:
        raise NotFound(
            "no communes are loaded",
            "load them: `tuquan boundaries fetch --province all` for the outlines, then "
            "`tuquan boundaries load FILE --level commune …` (or one province with "
            "`tuquan boundaries fetch --province CODE`)",
        )
    return NationalShapes(provinces, communes, source)
