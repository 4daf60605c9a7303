"""Emerging hotspots per commune: Gi* year by year, Mann–Kendall trend of the z-scores.

Labels, checked in this order (a year is "hot" when its Gi* bin is ≥ +1, i.e. a
hotspot at 90 % confidence or more, after FDR when on):

- ``not_hotspot``: never hot;
- ``new``: hot in the final year only;
- ``intensifying`` / ``diminishing`` / ``persistent``: hot in at least 90 % of the years,
  the final one included, with a significant increasing / decreasing / no Mann–Kendall
  trend of the yearly z-scores;
- ``sporadic``: hot in some years, on and off.

These follow the definitions of ArcGIS' Emerging Hot Spot Analysis, reduced to six.
Mann–Kendall is computed for all communes at once (array code, with the tie correction
of the variance); the tests check it against pymannkendall.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy import stats
from sqlalchemy.engine import Engine

from gis.domain import Term
from gis.errors import InputError
from gis.hotspots import DEFAULT_SEED, gi_star
from gis.incident_filter import (
    ALL_INCIDENTS,
    LOCAL_TZ,
    IncidentFilter,
    NoIncidents,
    incident_counts,
)
from gis.results import StoredResult, compute_or_read
from gis.weights import commune_contiguity

TREND_LABELS: tuple[Term, ...] = (
    Term("new", "Điểm nóng mới", "New hotspot"),
    Term("intensifying", "Điểm nóng gia tăng", "Intensifying hotspot"),
    Term("persistent", "Điểm nóng dai dẳng", "Persistent hotspot"),
    Term("diminishing", "Điểm nóng suy giảm", "Diminishing hotspot"),
    Term("sporadic", "Điểm nóng rải rác", "Sporadic hotspot"),
    Term("not_hotspot", "Không phải điểm nóng", "Not a hotspot"),
)
MIN_YEARS = 3
PERSISTENT_SHARE = 0.9


def mann_kendall(series: np.ndarray, alpha: float = 0.05) -> pd.DataFrame:
    """Mann–Kendall test of each row of ``series`` (rows: units, columns: time, in order).

    Columns: s, var_s, z, p (two-sided), tau, trend (increasing | decreasing | no trend).
    Rows with a missing value get NaN and 'no trend'.
    """
    x = np.asarray(series, dtype=float)
    rows, n = x.shape
    i, j = np.triu_indices(n, k=1)
    s = np.sign(x[:, j] - x[:, i]).sum(axis=1)
    # ties: Σ t(t−1)(2t+5) over groups of equal values in each row
    ordered = np.sort(x, axis=1)
    starts = np.ones_like(ordered, dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    group = np.cumsum(starts.ravel()) - 1
    sizes = np.bincount(group).astype(float)
    owner = np.repeat(np.arange(rows), n)[starts.ravel()]
    ties = np.bincount(owner, weights=sizes * (sizes - 1) * (2 * sizes + 5), minlength=rows)
    var_s = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, (s - 1) / np.sqrt(var_s), np.where(s < 0, (s + 1) / np.sqrt(var_s), 0))
    z = np.where(var_s > 0, z, 0.0)
    p = 2 * stats.norm.sf(np.abs(z))
    missing = np.isnan(x).any(axis=1)
    s, z, p = (np.where(missing, np.nan, a) for a in (s, z, p))
    trend = np.where(
        (p < alpha) & (z > 0),
        "increasing",
        np.where((p < alpha) & (z < 0), "decreasing", "no trend"),
    )
    return pd.DataFrame(
        {"s": s, "var_s": var_s, "z": z, "p": p, "tau": s / (n * (n - 1) / 2), "trend": trend}
    )


def label_trends(bins: np.ndarray, trend: np.ndarray) -> np.ndarray:
    """The six labels from yearly bins (rows: units, columns: years) and MK trends."""
    hot = np.asarray(bins) >= 1
    years = hot.shape[1]
    hot_years = hot.sum(axis=1)
    last = hot[:, -1]
    mostly = last & (hot_years >= PERSISTENT_SHARE * years)
    return np.select(
        [
            hot_years == 0,
            last & (hot_years == 1),
            mostly & (trend == "increasing"),
            mostly & (trend == "decreasing"),
            mostly,
        ],
        ["not_hotspot", "new", "intensifying", "diminishing", "persistent"],
        default="sporadic",
    )


def _yearly_counts(engine: Engine, incidents: IncidentFilter, years: list[int]) -> pd.DataFrame:
    where, values = incidents.where()
    sql = sa.text(
        f"""
        SELECT i.commune_code AS code,
               CAST(extract(year FROM i.occurred_at AT TIME ZONE '{LOCAL_TZ}') AS int) AS year,
               count(*) AS n
          FROM incident i WHERE {where} AND i.precision <> 'province'
         GROUP BY 1, 2
        """  # noqa: S608 -- fixed condition text; values are bound
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, values).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["code", "year", "n"])
    return frame.pivot_table(index="code", columns="year", values="n", fill_value=0).reindex(
        columns=years, fill_value=0
    )


def _years(engine: Engine, incidents: IncidentFilter) -> list[int]:
    """Calendar years (Vietnam time) of the window; open ends taken from the data."""
    where, values = incidents.where()
    local_year = f"CAST(extract(year FROM i.occurred_at AT TIME ZONE '{LOCAL_TZ}') AS int)"
    with engine.connect() as conn:
        low, high = conn.execute(
            sa.text(
                f"SELECT min({local_year}), max({local_year}) FROM incident i WHERE {where}"  # noqa: S608 -- fixed text; values are bound
            ),
            values,
        ).one()
    low = incidents.start.year if incidents.start else low
    high = (incidents.end - timedelta(days=1)).year if incidents.end else high
    return [] if low is None or high is None else list(range(low, high + 1))


def emerging_hotspots(
    engine: Engine,
    incidents: IncidentFilter = ALL_INCIDENTS,
    *,
    per_km2: bool = False,
    fdr: bool = True,
    islands: str = "nearest",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Trend label of each commune from yearly Gi* (analytic) and Mann–Kendall.

    Columns: code, name, province_code, years (list), incidents_by_year, z_by_year,
    bin_by_year (lists, one value a year), hot_years, mk_s, mk_z, mk_p, mk_tau, trend,
    label, label_vi, label_en.
    """
    incidents = incidents.check(engine)
    years = _years(engine, incidents)
    if not years:
        raise NoIncidents(
            "no incidents in the window", "import them: `tuquan import incidents FILE`"
        )
    if len(years) < MIN_YEARS:
        raise InputError(
            f"a trend needs at least {MIN_YEARS} years of incidents; the window has "
            f"{len(years)} ({', '.join(map(str, years)) or 'none'})",
            "widen the window with --start/--end, or use hotspots for a single period",
        )
    communes = incident_counts(engine, incidents)[["code", "name", "province_code", "area_km2"]]
    counts = _yearly_counts(engine, incidents, years).reindex(communes["code"], fill_value=0)
    neighbours = commune_contiguity(engine, communes["code"].to_numpy(), islands=islands)
    z = np.full(counts.shape, np.nan)
    bins = np.zeros(counts.shape, dtype=np.int64)
    area = communes["area_km2"].to_numpy(float)
    for k, year in enumerate(years):  # one Gi* a year: a handful of vectorised runs
        values = counts[year].to_numpy(float)
        if np.std(values) == 0:
            continue  # a year without variation is no hotspot anywhere
        gi = gi_star(values / area if per_km2 else values, neighbours, fdr=fdr, seed=DEFAULT_SEED)
        z[:, k], bins[:, k] = gi["z"].to_numpy(), gi["bin"].to_numpy()
    mk = mann_kendall(np.nan_to_num(z, nan=0.0), alpha=alpha)
    labels = label_trends(bins, mk["trend"].to_numpy())
    names = {t.key: t for t in TREND_LABELS}
    out = communes.drop(columns="area_km2").reset_index(drop=True)
    out["years"] = [years] * len(out)
    out["incidents_by_year"] = counts.to_numpy().tolist()
    out["z_by_year"] = np.round(z, 12).tolist()
    out["bin_by_year"] = bins.tolist()
    out["hot_years"] = (bins >= 1).sum(axis=1)
    out[["mk_s", "mk_z", "mk_p", "mk_tau", "trend"]] = mk[["s", "z", "p", "tau", "trend"]]
    out["label"] = labels
    out["label_vi"] = [names[x].vi for x in labels]
    out["label_en"] = [names[x].en for x in labels]
    return out


def trend_result(
    engine: Engine,
    incidents: IncidentFilter = ALL_INCIDENTS,
    *,
    per_km2: bool = False,
    fdr: bool = True,
    islands: str = "nearest",
    alpha: float = 0.05,
    refresh: bool = False,
) -> StoredResult:
    """``emerging_hotspots`` kept with its parameters; recomputed only when inputs change."""
    incidents = incidents.check(engine)
    params = {**incidents.params(), "per_km2": per_km2, "fdr": fdr, "islands": islands,
              "alpha": alpha}  # fmt: skip

    def compute():
        frame = emerging_hotspots(
            engine, incidents, per_km2=per_km2, fdr=fdr, islands=islands, alpha=alpha
        )
        labels = frame["label"].value_counts()
        return frame, {"years": frame["years"].iloc[0], "labels": {
            t.key: int(labels.get(t.key, 0)) for t in TREND_LABELS}}  # fmt: skip

    return compute_or_read(
        engine, "trend", incidents.province or "all", params, compute, "commune", refresh=refresh
    )
