"""Incident hotspots per commune: Getis-Ord Gi* (esda) with FDR-corrected confidence bins.

Gi* here is the textbook statistic (Getis & Ord 1992/1995, as ArcGIS' Hot Spot Analysis):
binary weights, the commune itself counted among its neighbours (star). esda's defaults
differ (row-standardised weights, no self weight), so every parameter is set explicitly.

Output per commune: z-score, two-sided p-value, confidence bin -3…+3 (99 / 95 / 90 %),
neighbour count. With ``fdr=True`` (the default, as the established tools do) the bins use
Benjamini–Hochberg thresholds per confidence level (esda.fdr); z and p stay unadjusted.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy import stats
from sqlalchemy.engine import Engine

from gis.domain import INCIDENT_CATEGORIES, keys
from gis.errors import InputError, NotFound
from gis.results import StoredResult, compute_or_read
from gis.weights import Contiguity, commune_contiguity

# (bin, alpha): 99 %, 95 % and 90 % confidence
CONFIDENCE_LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))
DEFAULT_SEED = 12345


@dataclass(frozen=True)
class IncidentFilter:
    """Which incidents count: a province (None: all), a time window [start, end), categories."""

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

    def params(self) -> dict:
        """The filter as stored result parameters."""
        return {k: v for k, v in asdict(self).items()}

    def where(self) -> tuple[str, dict]:
        """SQL conditions on ``incident i`` and their bound values."""
        sql = (
            "(CAST(:province AS text) IS NULL OR i.province_code = :province) "
            "AND (CAST(:start AS date) IS NULL OR i.occurred_at >= CAST(:start AS date)) "
            "AND (CAST(:end AS date) IS NULL OR i.occurred_at < CAST(:end AS date)) "
            "AND (CAST(:categories AS text[]) IS NULL OR i.category = ANY(:categories))"
        )
        values = {
            "province": self.province,
            "start": self.start,
            "end": self.end,
            "categories": list(self.categories) if self.categories else None,
        }
        return sql, values


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


def confidence_bins(z: np.ndarray, p: np.ndarray, fdr: bool = True) -> np.ndarray:
    """Bins -3…+3: sign of z times the highest confidence level whose threshold p passes.

    With ``fdr`` each level's threshold is the Benjamini–Hochberg cut-off of all p-values
    at that level (esda.fdr); without it, the level's alpha. NaN p-values get bin 0.
    """
    from esda import fdr as fdr_threshold

    z = np.asarray(z, dtype=float)
    p = np.asarray(p, dtype=float)
    valid = ~np.isnan(p)
    bins = np.zeros(len(p), dtype=np.int64)
    for level, alpha in reversed(CONFIDENCE_LEVELS):  # weakest first, stronger overwrite
        threshold = fdr_threshold(p[valid], alpha) if fdr and valid.any() else alpha
        passed = valid & (np.where(valid, p, 1.0) < threshold)
        bins[passed] = level
    return (bins * np.sign(np.nan_to_num(z))).astype(np.int64)


def gi_star(
    values: np.ndarray,
    contiguity: Contiguity,
    *,
    permutations: int = 0,
    seed: int = DEFAULT_SEED,
    fdr: bool = True,
) -> pd.DataFrame:
    """Gi* of ``values`` (aligned with ``contiguity.codes``) with esda, textbook parameters.

    p_value is two-sided: from the normal approximation, or with ``permutations`` from
    conditional randomisation (twice esda's folded one-sided p_sim, at most 1). Communes
    without any neighbour (islands under the 'exclude' policy) get NaN and bin 0.
    Columns: code, value, z, p_value, p_norm, p_sim, bin, neighbours, island.
    """
    from esda.getisord import G_Local

    y = np.asarray(values, dtype=float)
    if len(y) != len(contiguity):
        raise ValueError("values and contiguity are not aligned")
    if len(y) < 3 or np.nanstd(y) == 0:
        raise InputError(
            f"Gi* needs values that differ between at least 3 communes "
            f"(got {len(y)} communes, total {y.sum():g})",
            "widen the time window, the categories or the area",
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # esda warns about disconnected components
        gi = G_Local(
            y,
            contiguity.graph(),
            transform="B",  # binary weights, as the textbook statistic
            star=True,  # the focal commune counts among its neighbours (Gi*, not Gi)
            permutations=permutations,
            seed=seed if permutations else None,
            keep_simulations=False,
            n_jobs=1,  # the 2 shared cores: joblib processes cost more than they save
            island_weight=0,
        )
    z = np.asarray(gi.Zs, dtype=float).copy()
    p_norm = 2.0 * stats.norm.sf(np.abs(z))
    p_sim = np.minimum(1.0, 2.0 * np.asarray(gi.p_sim)) if permutations else np.full(len(y), np.nan)
    lonely = contiguity.neighbours == 0
    z[lonely] = np.nan
    p_norm[lonely] = np.nan
    p_sim[lonely] = np.nan
    p_value = p_sim if permutations else p_norm
    return pd.DataFrame(
        {
            "code": contiguity.codes,
            "value": y,
            "z": z,
            "p_value": p_value,
            "p_norm": p_norm,
            "p_sim": p_sim,
            "bin": confidence_bins(z, p_value, fdr),
            "neighbours": contiguity.neighbours.astype(np.int64),
            "island": contiguity.island,
        }
    )


def commune_hotspots(
    engine: Engine,
    incidents: IncidentFilter = IncidentFilter(),
    *,
    per_km2: bool = False,
    permutations: int = 0,
    fdr: bool = True,
    islands: str = "nearest",
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """Gi* hotspots of incident counts (or counts per km²) per commune of the area.

    Columns: code, name, province_code, area_km2, incidents, value, z, p_value, p_norm,
    p_sim, bin, neighbours, island. ``attrs``: left_out (province-precision incidents).
    """
    incidents = incidents.check(engine)
    counts = incident_counts(engine, incidents)
    contiguity = commune_contiguity(engine, counts["code"].to_numpy(), islands=islands)
    value = counts["incidents"] / counts["area_km2"] if per_km2 else counts["incidents"]
    gi = gi_star(value.to_numpy(float), contiguity, permutations=permutations, seed=seed, fdr=fdr)
    out = counts.merge(gi, on="code", validate="one_to_one")
    out.attrs["left_out"] = counts.attrs["left_out"]
    return out


def hotspots_result(
    engine: Engine,
    incidents: IncidentFilter = IncidentFilter(),
    *,
    per_km2: bool = False,
    permutations: int = 0,
    fdr: bool = True,
    islands: str = "nearest",
    seed: int = DEFAULT_SEED,
    refresh: bool = False,
) -> StoredResult:
    """``commune_hotspots`` kept with its parameters; recomputed only when inputs change."""
    incidents = incidents.check(engine)
    params = {
        **incidents.params(),
        "per_km2": per_km2,
        "permutations": permutations,
        "fdr": fdr,
        "islands": islands,
        "seed": seed,
    }

    def compute():
        frame = commune_hotspots(
            engine, incidents, per_km2=per_km2, permutations=permutations, fdr=fdr,
            islands=islands, seed=seed,
        )  # fmt: skip
        return frame, summarise_bins(frame) | {"left_out": frame.attrs["left_out"]}

    return compute_or_read(
        engine, "hotspots", incidents.province or "all", params, compute, "commune",
        refresh=refresh,
    )  # fmt: skip


def summarise_bins(frame: pd.DataFrame) -> dict:
    """How many units fall in each confidence bin, and how many incidents were counted."""
    counts = frame["bin"].value_counts().to_dict()
    return {
        "units": len(frame),
        "incidents": int(frame["incidents"].sum()),
        "bins": {str(b): int(counts.get(b, 0)) for b in range(-3, 4)},
    }
