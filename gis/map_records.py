"""The records a map shows beside the analysis results: sites with their dates, the demo flag.

Statuses "as of" a date come from gis.coverage.site_states, so a map and the coverage
figures always agree on which sites were active.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.coverage import site_states
from gis.incident_filter import LOCAL_TZ, IncidentFilter

SITE_COLUMNS = (
    "id", "ref", "name", "kind", "components", "status", "started_on", "pilot_on",
    "replicated_on", "suspended_on", "host_unit", "address", "commune_code", "commune_name",
    "precision", "is_synthetic", "lon", "lat",
)  # fmt: skip


def sites_as_of(engine: Engine, province: str, as_of: date | None = None) -> pd.DataFrame:
    """Sites of ``province`` that existed on ``as_of`` (default today), with their status then.

    Columns: SITE_COLUMNS. ``pilot_on``, ``replicated_on``, ``suspended_on``: the first day
    of that status in the history up to ``as_of`` (``started_on`` for a site without
    history, in its current status).
    """
    as_of = as_of or date.today()
    sql = sa.text(
        """
        SELECT s.id, s.ref, s.name, s.kind, s.components, s.started_on,
               coalesce(h.pilot_on, CASE WHEN h.n = 0 AND s.status = 'pilot'
                                         THEN s.started_on END) AS pilot_on,
               coalesce(h.replicated_on, CASE WHEN h.n = 0 AND s.status = 'replicated'
                                              THEN s.started_on END) AS replicated_on,
               coalesce(h.suspended_on, CASE WHEN h.n = 0 AND s.status = 'suspended'
                                             THEN s.started_on END) AS suspended_on,
               s.host_unit, s.address, s.commune_code, u.name AS commune_name, s.precision,
               s.is_synthetic, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat
          FROM site s
          JOIN admin_unit u ON u.code = s.commune_code
         CROSS JOIN LATERAL (
               SELECT count(*) AS n,
                      min(x.changed_on) FILTER (WHERE x.status = 'pilot') AS pilot_on,
                      min(x.changed_on) FILTER (WHERE x.status = 'replicated') AS replicated_on,
                      min(x.changed_on) FILTER (WHERE x.status = 'suspended') AS suspended_on
                 FROM site_status_history x
                WHERE x.site_id = s.id AND x.changed_on <= :as_of) h
         WHERE s.province_code = :province
         ORDER BY s.id
        """
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, {"province": province, "as_of": as_of}).mappings().all()
    frame = pd.DataFrame(rows, columns=[c for c in SITE_COLUMNS if c != "status"])
    states = site_states(engine, [as_of], province)[["site_id", "status"]]
    frame = frame.merge(states, left_on="id", right_on="site_id", how="inner")
    frame = frame[frame["status"].notna()].drop(columns="site_id")
    frame["components"] = frame["components"].map(lambda v: sorted(v or []))
    return frame[list(SITE_COLUMNS)].reset_index(drop=True)


def has_synthetic_records(
    engine: Engine, province: str | None, *, sites: bool = True, incidents: bool = True
) -> bool:
    """True when any site (or incident) of the area is demo data (is_synthetic)."""
    sql = sa.text(
        "SELECT (:sites AND EXISTS (SELECT 1 FROM site WHERE is_synthetic "
        "AND (CAST(:p AS text) IS NULL OR province_code = :p))) "
        "OR (:incidents AND EXISTS (SELECT 1 FROM incident WHERE is_synthetic "
        "AND (CAST(:p AS text) IS NULL OR province_code = :p)))"
    )
    with engine.connect() as conn:
        return bool(conn.scalar(sql, {"p": province, "sites": sites, "incidents": incidents}))


@dataclass(frozen=True)
class IncidentSpan:
    """How many incidents a filter selects and the first and last day among them (VN time)."""

    incidents: int
    first_day: date | None
    last_day: date | None


def incident_span(engine: Engine, incidents: IncidentFilter) -> IncidentSpan:
    """Count and date range of the incidents ``incidents`` selects."""
    where, values = incidents.where()
    sql = sa.text(
        f"SELECT count(*), min(i.occurred_at AT TIME ZONE '{LOCAL_TZ}')::date, "  # noqa: S608
        f"max(i.occurred_at AT TIME ZONE '{LOCAL_TZ}')::date FROM incident i WHERE {where}"
    )  # fixed condition text; values are bound
    with engine.connect() as conn:
        n, first, last = conn.execute(sql, values).one()
    return IncidentSpan(int(n), first, last)
