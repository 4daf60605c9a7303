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

import numpy as np
import pandas as pd
from scipy import stats
from sqlalchemy.engine import Engine

from gis.errors import InputError
from gis.incident_filter import ALL_INCIDENTS, IncidentFilter, NoIncidents, incident_counts
from gis.results import StoredResult, compute_or_read
from gis.weights import Neighbours, commune_contiguity

# (bin, alpha): 99 %, 95 % and 90 % confidence
__all__ = [
    "IncidentFilter",
    "commune_hotspots",
    "confidence_bins",
    "gi_star",
    "hotspots_result",
    "incident_counts",
]

CONFIDENCE_LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))
DEFAULT_SEED = 12345


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
    contiguity: Neighbours,
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
    incidents: IncidentFilter = ALL_INCIDENTS,
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
    if counts["incidents"].sum() == 0:
        raise NoIncidents(
            f"no incidents in the window ({counts.attrs['left_out']} known only to the province)",
            "import incidents (`tuquan import incidents FILE`), or widen the window and categories",
        )
    contiguity = commune_contiguity(engine, counts["code"].to_numpy(), islands=islands)
    value = counts["incidents"] / counts["area_km2"] if per_km2 else counts["incidents"]
    gi = gi_star(value.to_numpy(float), contiguity, permutations=permutations, seed=seed, fdr=fdr)
    out = counts.merge(gi, on="code", validate="one_to_one")
    out.attrs["left_out"] = counts.attrs["left_out"]
    return out


def hotspots_result(
    engine: Engine,
    incidents: IncidentFilter = ALL_INCIDENTS,
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
