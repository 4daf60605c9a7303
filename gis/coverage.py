"""Coverage of the 5 tự quản model: which communes run it, which components, since when.

"As of" a date, a site's status is its latest ``site_status_history`` entry on or before
that date; a site without history keeps its current status from ``started_on`` (from
always when that is unknown). A commune is covered when it has an active site (pilot or
replicated); its components are the union of its active sites' components.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.domain import ACTIVE_STATUSES, COMPONENTS, SITE_KINDS, keys
from gis.errors import NotFound
from gis.population import population_as_of
from gis.results import StoredResult, compute_or_read, records

COMPONENT_COLUMNS = tuple(f"has_{key}" for key in keys(COMPONENTS))
KIND_COLUMNS = tuple(f"sites_{key}" for key in keys(SITE_KINDS))
# The status a commune shows: its most advanced site's.
STATUS_RANK = {"replicated": 4, "pilot": 3, "suspended": 2, "planned": 1}


def site_states(engine: Engine, dates: list[date], province: str | None = None) -> pd.DataFrame:
    """Each site's status on each date (None before it existed).

    Columns: as_of, site_id, commune_code, province_code, kind, components, status,
    active, first_active_on (first day it was active, up to that date).
    """
    sql = sa.text(
        """
        WITH d AS (SELECT unnest(CAST(:dates AS date[])) AS as_of)
        SELECT d.as_of, s.id AS site_id, s.commune_code, s.province_code, s.kind,
               s.components,
               CASE WHEN h.n = 0 THEN
                        CASE WHEN s.started_on IS NULL OR s.started_on <= d.as_of
                             THEN s.status END
                    ELSE h.status END AS status,
               CASE WHEN h.n = 0 THEN
                        CASE WHEN s.status = ANY(:active) AND s.started_on <= d.as_of
                             THEN s.started_on END
                    ELSE h.first_active END AS first_active_on
          FROM site s
         CROSS JOIN d
         CROSS JOIN LATERAL (
               SELECT count(*) AS n,
                      (array_agg(x.status ORDER BY x.changed_on DESC, x.recorded_at DESC)
                           FILTER (WHERE x.changed_on <= d.as_of))[1] AS status,
                      min(x.changed_on) FILTER (
                           WHERE x.status = ANY(:active) AND x.changed_on <= d.as_of
                      ) AS first_active
                 FROM site_status_history x WHERE x.site_id = s.id) h
         WHERE CAST(:province AS text) IS NULL OR s.province_code = :province
         ORDER BY d.as_of, s.id
        """
    )
    columns = ["as_of", "site_id", "commune_code", "province_code", "kind", "components",
               "status", "first_active_on"]  # fmt: skip
    with engine.connect() as conn:
        rows = conn.execute(
            sql, {"dates": list(dates), "active": list(ACTIVE_STATUSES), "province": province}
        ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    frame["active"] = frame["status"].isin(ACTIVE_STATUSES)
    return frame


def _communes(engine: Engine, province: str | None) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT code, name, parent_code AS province_code, area_km2 FROM admin_unit "
                "WHERE level = 'commune' AND (CAST(:p AS text) IS NULL OR parent_code = :p) "
                "ORDER BY code"
            ),
            {"p": province},
        ).all()
    if not rows:
        where = f"province {province}" if province else "the database"
        raise NotFound(
            f"no communes are loaded for {where}",
            "load them first: `tuquan boundaries fetch --province CODE`",
        )
    return pd.DataFrame([tuple(r) for r in rows], columns=["code", "name", "province_code",
                                                           "area_km2"])  # fmt: skip


def _per_commune(communes: pd.DataFrame, states: pd.DataFrame) -> pd.DataFrame:
    """Coverage columns of each commune from the site states of one date."""
    out = communes.set_index("code")
    active = states[states["active"]]
    kinds = active.groupby(["commune_code", "kind"]).size().unstack(fill_value=0)
    for key, column in zip(keys(SITE_KINDS), KIND_COLUMNS, strict=True):
        counts = kinds[key] if key in kinds.columns else pd.Series(dtype=np.int64)
        out[column] = counts.reindex(out.index, fill_value=0).astype(np.int64)
    out["active_sites"] = out[list(KIND_COLUMNS)].sum(axis=1)
    out["covered"] = out["active_sites"] > 0
    parts = active[["commune_code", "components"]].explode("components").dropna()
    parts["components"] = parts["components"].astype(int)
    for number, column in enumerate(COMPONENT_COLUMNS, start=1):
        having = set(parts.loc[parts["components"] == number, "commune_code"])
        out[column] = out.index.isin(having)
    flags = out[list(COMPONENT_COLUMNS)].to_numpy()
    out["component_count"] = flags.sum(axis=1).astype(np.int64)
    numbers = np.arange(1, len(COMPONENTS) + 1)
    out["components"] = [numbers[row].tolist() for row in flags]
    # Numeric ranks and datetime64 dates keep both groupbys in pandas' compiled path
    # (on Python objects they fall back to one Python call per commune: 4× slower).
    rank = states["status"].map(STATUS_RANK)
    best = rank.groupby(states["commune_code"]).max().dropna()
    status = best.map({number: name for name, number in STATUS_RANK.items()})
    out["status"] = status.reindex(out.index).astype(object).where(lambda s: s.notna(), None)
    first = pd.to_datetime(active["first_active_on"]).groupby(active["commune_code"]).min()
    out["first_year"] = first.dt.year.reindex(out.index).astype("Int64")
    return out.reset_index()


def commune_coverage(
    engine: Engine, province: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Coverage of each commune of the area on ``as_of`` (default today).

    Columns: code, name, province_code, area_km2, sites_<kind> (active sites by kind),
    active_sites, covered, has_<component> (5), component_count, components (list of
    1..5), status (most advanced site status or None), first_year (first active year),
    population (latest figure up to that year, when imported).
    """
    as_of = as_of or date.today()
    communes = _communes(engine, province)
    states = site_states(engine, [as_of], province)
    out = _per_commune(communes, states)
    population = population_as_of(engine, out["code"].tolist(), as_of.year)
    out["population"] = population.reindex(out["code"]).to_numpy()
    out["population"] = out["population"].astype("Int64")
    return out


def _shares(frame: pd.DataFrame) -> pd.DataFrame:
    """Province rows of coverage shares from commune rows (one date)."""
    grouped = frame.groupby("province_code")
    out = pd.DataFrame({"communes": grouped.size(), "covered_communes": grouped["covered"].sum()})
    out["covered_share"] = out["covered_communes"] / out["communes"]
    for column in COMPONENT_COLUMNS:
        out[column.replace("has_", "share_")] = grouped[column].mean()
    for column in KIND_COLUMNS:
        out[column.replace("sites_", "share_kind_")] = grouped[column].apply(
            lambda s: (s > 0).mean()
        )
    partial = frame["covered"] & (frame["component_count"] < len(COMPONENTS))
    out["partial_communes"] = partial.groupby(frame["province_code"]).sum()
    out["full_communes"] = (
        (frame["component_count"] == len(COMPONENTS)).groupby(frame["province_code"]).sum()
    )
    known = frame.dropna(subset=["population"])
    if len(known):
        pop = known["population"].astype(float)
        covered_pop = pop.where(known["covered"], 0.0)
        out["population"] = pop.groupby(known["province_code"]).sum()
        out["population_share"] = (
            covered_pop.groupby(known["province_code"]).sum() / out["population"]
        )
    else:
        out["population"] = np.nan
        out["population_share"] = np.nan
    return out


def province_coverage(
    engine: Engine, province: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Per province on ``as_of``: shares of communes covered, by component and by site kind.

    Columns: province_code, communes, covered_communes, covered_share, share_<component>,
    share_kind_<kind>, partial_communes (covered, fewer than 5 components), full_communes,
    population, population_share (NaN without a population table), first_year.
    """
    communes = commune_coverage(engine, province, as_of)
    out = _shares(communes)
    out["first_year"] = communes.groupby("province_code")["first_year"].min()
    return out.reset_index()


def coverage_by_year(
    engine: Engine, province: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Coverage at the end of each year since the first pilot, up to ``as_of``.

    Columns: province_code, year, as_of, communes, covered_communes, covered_share,
    new_communes (covered at the end of the year, not at the end of the one before),
    lost_communes (the reverse), growth_points (change of the share, in percentage
    points), share_<component>, share_kind_<kind>, population_share.
    """
    as_of = as_of or date.today()
    communes = _communes(engine, province)
    first = site_states(engine, [as_of], province)["first_active_on"].dropna()
    if first.empty:
        return pd.DataFrame(columns=["province_code", "year", "as_of", "communes",
                                     "covered_communes", "covered_share"])  # fmt: skip
    years = range(min(first).year, as_of.year + 1)
    dates = [min(date(y, 12, 31), as_of) for y in years]
    states = site_states(engine, dates, province)
    frames = []
    previous = pd.Series(False, index=communes["code"])
    for year, when in zip(years, dates, strict=True):
        per = _per_commune(communes, states[states["as_of"] == when])
        per["population"] = (
            population_as_of(engine, per["code"].tolist(), year).reindex(per["code"]).to_numpy()
        )
        covered = pd.Series(per["covered"].to_numpy(), index=per["code"])
        per["newly_covered"] = (covered & ~previous).to_numpy()
        per["no_longer_covered"] = (~covered & previous).to_numpy()
        previous = covered
        shares = _shares(per)
        grouped = per.groupby("province_code")
        shares["new_communes"] = grouped["newly_covered"].sum()
        shares["lost_communes"] = grouped["no_longer_covered"].sum()
        shares = shares.reset_index()
        shares.insert(1, "year", year)
        shares.insert(2, "as_of", when)
        frames.append(shares)
    out = pd.concat(frames, ignore_index=True).sort_values(["province_code", "year"])
    growth = out.groupby("province_code")["covered_share"].diff()
    out["growth_points"] = growth.fillna(out["covered_share"]) * 100
    return out.reset_index(drop=True)


def coverage_result(
    engine: Engine,
    province: str | None = None,
    as_of: date | None = None,
    *,
    refresh: bool = False,
) -> StoredResult:
    """Commune coverage kept with the province summary and the yearly growth (summary)."""
    as_of = as_of or date.today()
    params = {"province": province, "as_of": as_of}

    def compute():
        frame = commune_coverage(engine, province, as_of)
        summary = {
            "provinces": records(province_coverage(engine, province, as_of)),
            "years": records(coverage_by_year(engine, province, as_of)),
        }
        return frame, summary

    return compute_or_read(
        engine, "coverage", province or "all", params, compute, "commune", refresh=refresh
    )
