"""Which incidents an analysis uses, and reading them: counts per commune, fine points."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.domain import FINER_THAN_COMMUNE, INCIDENT_CATEGORIES, keys
from gis.errors import InputError, NotFound


class NoIncidents(InputError):
    """The analysis has no incidents to work on (not a fault of the data: there are none)."""


LOCAL_TZ = "Asia/Ho_Chi_Minh"  # dates of a window are days in Vietnam (UTC+7)


@dataclass(frozen=True)
class IncidentFilter:
    """Which incidents count: a province (None: all), dates [start, end) in Vietnam time,
    categories (None: all)."""

    province: str | None = None
    start: date | None = None
    end: date | None = None
    categories: tuple[str, ...] | None = None

    def check(self, engine: Engine) -> IncidentFilter:
        """This filter, validated against the vocabulary and the loaded units."""
        if self.categories is not None:
            unknown = sorted(set(self.categories) - set(keys(INCIDENT_CATEGORIES)))
            if unknown or not self.categories:
                raise InputError(
                    f"unknown incident categories: {', '.join(unknown) or '(none given)'}",
                    f"use one or more of {', '.join(keys(INCIDENT_CATEGORIES))}",
                )
        if self.start and self.end and self.start >= self.end:
            raise InputError(
                f"the time window is empty: start {self.start} is not before end {self.end}",
                "give --start before --end (the end date is excluded)",
            )
        with engine.connect() as conn:
            communes = conn.scalar(
                sa.text(
                    "SELECT count(*) FROM admin_unit WHERE level = 'commune' "
                    "AND (CAST(:p AS text) IS NULL OR parent_code = :p)"
                ),
                {"p": self.province},
            )
        if not communes:
            where = f"province {self.province}" if self.province else "the database"
            raise NotFound(
                f"no communes are loaded for {where}",
                "load them first: `tuquan boundaries fetch --province CODE`",
            )
        return IncidentFilter(
            self.province,
            self.start,
            self.end,
            tuple(sorted(set(self.categories))) if self.categories else None,
        )

    def up_to(self, as_of: date) -> IncidentFilter:
        """This filter ending with the day ``as_of`` when it gives no end: an analysis "as of"
        a date does not count the incidents that came after it."""
        if self.end is not None:
            return self
        return replace(self, end=as_of + timedelta(days=1))

    def params(self) -> dict:
        """The filter as stored result parameters."""
        return {k: v for k, v in asdict(self).items()}

    def where(self) -> tuple[str, dict]:
        """SQL conditions on ``incident i`` and their bound values."""
        sql = (
            "(CAST(:province AS text) IS NULL OR i.province_code = :province) "
            "AND (CAST(:start AS date) IS NULL OR i.occurred_at >= "
            f"CAST(:start AS timestamp) AT TIME ZONE '{LOCAL_TZ}') "
            "AND (CAST(:end AS date) IS NULL OR i.occurred_at < "
            f"CAST(:end AS timestamp) AT TIME ZONE '{LOCAL_TZ}') "
            "AND (CAST(:categories AS text[]) IS NULL OR i.category = ANY(:categories))"
        )
        values = {
            "province": self.province,
            "start": self.start,
            "end": self.end,
            "categories": list(self.categories) if self.categories else None,
        }
        return sql, values


ALL_INCIDENTS = IncidentFilter()  # every incident of every loaded province, all time


def incident_counts(engine: Engine, incidents: IncidentFilter) -> pd.DataFrame:
    """Incidents per commune (every commune of the area, zeros included).

    Columns: code, name, province_code, area_km2, incidents. Incidents known only to the
    province are left out (their commune is a guess); ``attrs['left_out']`` counts them.
    """
    where, values = incidents.where()
    sql = sa.text(
        f"""
        WITH counted AS (
            SELECT i.commune_code, count(*) FILTER (WHERE i.precision <> 'province') AS n,
                   count(*) FILTER (WHERE i.precision = 'province') AS left_out
              FROM incident i WHERE {where} GROUP BY i.commune_code)
        SELECT u.code, u.name, u.parent_code AS province_code, u.area_km2,
               coalesce(c.n, 0) AS incidents, coalesce(c.left_out, 0) AS left_out
          FROM admin_unit u LEFT JOIN counted c ON c.commune_code = u.code
         WHERE u.level = 'commune'
           AND (CAST(:province AS text) IS NULL OR u.parent_code = :province)
         ORDER BY u.code
        """  # noqa: S608 -- the condition text is fixed; values are bound
    )
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(sql, values).mappings().all())
    left_out = int(frame.pop("left_out").sum())
    frame["incidents"] = frame["incidents"].astype(np.int64)
    frame.attrs["left_out"] = left_out
    return frame


@dataclass
class IncidentPoints:
    """Coordinates of the incidents located finer than their commune, and who was left out."""

    lon: np.ndarray
    lat: np.ndarray
    left_out: int  # incidents of the filter known only to the commune or coarser

    def __len__(self) -> int:
        return len(self.lon)


def incident_points(engine: Engine, incidents: IncidentFilter) -> IncidentPoints:
    """Points of the incidents whose precision is finer than the commune (coordinates, street).

    Commune-precision points sit on the commune's representative point and would make
    false hotspots on grids and surfaces, so they are counted as left out instead.
    """
    where, values = incidents.where()
    sql = sa.text(
        f"""
        SELECT array_agg(ST_X(i.geom)) FILTER (WHERE i.precision = ANY(:fine)),
               array_agg(ST_Y(i.geom)) FILTER (WHERE i.precision = ANY(:fine)),
               count(*) FILTER (WHERE i.precision <> ALL(:fine))
          FROM incident i WHERE {where}
        """  # noqa: S608 -- fixed condition text; values are bound
    )
    with engine.connect() as conn:
        lon, lat, left_out = conn.execute(sql, {**values, "fine": list(FINER_THAN_COMMUNE)}).one()
    return IncidentPoints(
        np.array(lon or [], dtype=float), np.array(lat or [], dtype=float), int(left_out)
    )
