"""Replication candidates: communes without an active model, ranked by an explained score.

Each factor is put on a 0–1 scale among the candidates, multiplied by its weight, and the
contributions add up to the score (weights are normalised to sum to 1):

- ``burden_count`` 0.25: incidents in the window (percentile rank among the candidates:
  robust to one extreme commune). The model exists to cut incidents, so need comes first.
- ``burden_rate`` 0.15: incidents per 1,000 people when every candidate has a population
  figure, otherwise per km² (percentile rank). Keeps small, dense communes in view that
  a raw count would hide; weighted below the count because rates of small denominators
  are noisy.
- ``hotspot`` 0.25: the commune's Gi* z-score, clipped to 0–3 and divided by 3. Clustered
  incidents across neighbouring communes point to an area problem that a community model
  answers better than policing one spot.
- ``mentoring`` 0.15: 1 when a neighbouring commune runs the model. The rollout is pilot
  then replication; a neighbour that runs it can train and share its practice.
- ``gap`` 0.20: share of the commune's former districts (pre-2025, by old communes) where
  no commune runs the model yet. The directive asks for every area to be reached.

Need (count, rate, hotspot) weighs 0.65 and feasibility/equity 0.35: the ranking follows
incidents, and the rollout shape only breaks near-ties. Dominant incident categories
(≥ 20 % of a commune's incidents) name the components a new site should take on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.coverage import commune_coverage
from gis.domain import COMPONENT_NUMBERS, INCIDENT_CATEGORIES, label
from gis.errors import InputError
from gis.former_districts import district_gaps, former_districts
from gis.hotspots import gi_star
from gis.incident_filter import IncidentFilter, incident_counts
from gis.results import StoredResult, compute_or_read
from gis.weights import commune_contiguity

DOMINANT_SHARE = 0.20
HOTSPOT_Z_CAP = 3.0


@dataclass(frozen=True)
class RankingWeights:
    """Weight of each factor of the candidate score (see the module text for why)."""

    burden_count: float = 0.25
    burden_rate: float = 0.15
    hotspot: float = 0.25
    mentoring: float = 0.15
    gap: float = 0.20

    @classmethod
    def parse(cls, text: str | None) -> RankingWeights:
        """From 'hotspot=0.4,gap=0.1' (the others keep their defaults)."""
        if not text:
            return cls()
        names = [f.name for f in fields(cls)]
        values = {}
        for part in text.split(","):
            name, _, value = part.partition("=")
            name = name.strip()
            if name not in names:
                raise InputError(f"unknown weight {name!r}", f"use {', '.join(names)}")
            try:
                values[name] = float(value)
            except ValueError:
                raise InputError(f"weight {name}={value!r} is not a number") from None
        return cls(**values).checked()

    def checked(self) -> RankingWeights:
        """These weights, refused when negative or all zero."""
        values = asdict(self)
        if any(v < 0 for v in values.values()) or sum(values.values()) <= 0:
            raise InputError(
                f"weights must be ≥ 0 and not all zero (got {values})",
                "give e.g. --weights hotspot=0.4,gap=0.1",
            )
        return self

    def normalised(self) -> dict[str, float]:
        """Weights scaled to sum to 1."""
        values = asdict(self.checked())
        total = sum(values.values())
        return {k: v / total for k, v in values.items()}


def _percentile(values: pd.Series) -> pd.Series:
    """Percentile rank in 0–1 (zero stays zero: no incidents, no burden)."""
    ranked = values.rank(pct=True, method="average")
    return ranked.where(values > 0, 0.0).fillna(0.0)


def _category_shares(engine: Engine, incidents: IncidentFilter) -> pd.DataFrame:
    where, values = incidents.where()
    sql = sa.text(
        "SELECT i.commune_code AS code, i.category, count(*) AS n FROM incident i "  # noqa: S608
        f"WHERE {where} AND i.precision <> 'province' GROUP BY 1, 2"  # fixed text, bound values
    )
    with engine.connect() as conn:
        rows = conn.execute(sql, values).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["code", "category", "n"])
    frame["share"] = frame["n"] / frame.groupby("code")["n"].transform("sum")
    return frame


def _dominant(shares: pd.DataFrame, codes: pd.Series) -> tuple[list, list]:
    top = shares[shares["share"] >= DOMINANT_SHARE].sort_values(
        ["code", "share", "category"], ascending=[True, False, True]
    )
    categories = top.groupby("code")["category"].agg(list).reindex(codes)
    categories = [c if isinstance(c, list) else [] for c in categories]
    components = [sorted(COMPONENT_NUMBERS[c] for c in cats if c in COMPONENT_NUMBERS)
                  for cats in categories]  # fmt: skip
    return categories, components


def rank_candidates(
    engine: Engine,
    province: str | None,
    *,
    as_of: date | None = None,
    incidents: IncidentFilter | None = None,
    weights: RankingWeights = RankingWeights(),
    islands: str = "nearest",
) -> pd.DataFrame:
    """Communes of ``province`` (None: the whole country) without an active model, best first.

    Columns: rank, code, name, province_code, incidents, rate, rate_basis (per_1000_people
    | per_km2), z, neighbours, covered_neighbours, gap_share, gap_districts, f_<factor>
    (0–1), c_<factor> (weight × factor), score, dominant_categories,
    recommended_components, explanation_vi, explanation_en.
    """
    as_of = as_of or date.today()
    window = (incidents or IncidentFilter()).up_to(as_of)
    incidents = IncidentFilter(province, window.start, window.end, window.categories).check(engine)
    w = weights.normalised()
    coverage = commune_coverage(engine, province, as_of)
    counts = incident_counts(engine, incidents)
    frame = coverage[["code", "name", "province_code", "area_km2", "covered", "population"]].merge(
        counts[["code", "incidents"]], on="code", validate="one_to_one"
    )
    neighbours = commune_contiguity(engine, frame["code"].to_numpy(), islands=islands)
    frame = frame.set_index("code").loc[neighbours.codes].reset_index()
    values = frame["incidents"].to_numpy(float)
    if np.std(values) > 0:
        frame["z"] = gi_star(values, neighbours)["z"].to_numpy()
    else:
        frame["z"] = 0.0
    covered = frame["covered"].to_numpy(float)
    frame["neighbours"] = neighbours.neighbours
    frame["covered_neighbours"] = (neighbours.adjacency @ covered).astype(np.int64)
    gaps = district_gaps(former_districts(engine, province), set(frame.loc[frame.covered, "code"]))
    frame = frame.merge(gaps, on="code", how="left")
    # a commune no old commune centroid fell into is its own former area: a gap if uncovered
    frame["gap_share"] = frame["gap_share"].fillna(1.0)
    frame["gap_districts"] = frame["gap_districts"].apply(
        lambda v: v if isinstance(v, list) else []
    )
    candidates = frame[~frame["covered"]].copy()
    population = candidates["population"]
    if len(candidates) and population.notna().all() and (population > 0).all():
        candidates["rate"] = candidates["incidents"] / population.astype(float) * 1000
        candidates["rate_basis"] = "per_1000_people"
    else:
        candidates["rate"] = candidates["incidents"] / candidates["area_km2"]
        candidates["rate_basis"] = "per_km2"
    factors = {
        "burden_count": _percentile(candidates["incidents"].astype(float)),
        "burden_rate": _percentile(candidates["rate"].astype(float)),
        "hotspot": candidates["z"].fillna(0).clip(0, HOTSPOT_Z_CAP) / HOTSPOT_Z_CAP,
        "mentoring": (candidates["covered_neighbours"] > 0).astype(float),
        "gap": candidates["gap_share"].clip(0, 1),
    }
    for name, factor in factors.items():
        candidates[f"f_{name}"] = factor
        candidates[f"c_{name}"] = w[name] * factor
    candidates["score"] = candidates[[f"c_{n}" for n in factors]].sum(axis=1)
    shares = _category_shares(engine, incidents)
    candidates["dominant_categories"], candidates["recommended_components"] = _dominant(
        shares, candidates["code"]
    )
    candidates = candidates.sort_values(
        ["score", "incidents", "code"], ascending=[False, False, True]
    )
    candidates.insert(0, "rank", np.arange(1, len(candidates) + 1))
    candidates["explanation_vi"] = _explain(candidates, "vi")
    candidates["explanation_en"] = _explain(candidates, "en")
    return candidates.drop(columns=["covered", "area_km2"]).reset_index(drop=True)


def _explain(frame: pd.DataFrame, lang: str) -> list[str]:
    """One readable sentence per candidate: each factor's value and contribution."""
    vi = lang == "vi"
    unit = {"per_1000_people": "/1.000 dân" if vi else "/1,000 people", "per_km2": "/km²"}
    out = []
    for r in frame.itertuples(index=False):  # formatting only, a few hundred rows
        cats = " + ".join(label(INCIDENT_CATEGORIES, c, lang) for c in r.dominant_categories)
        parts = [
            (f"{r.incidents} vụ việc" if vi else f"{r.incidents} incidents")
            + f" (+{r.c_burden_count:.2f})",
            f"{r.rate:.2f}{unit[r.rate_basis]} (+{r.c_burden_rate:.2f})",
            f"Gi* z = {r.z:.2f} (+{r.c_hotspot:.2f})",
            (f"{r.covered_neighbours} xã lân cận có mô hình" if vi
             else f"{r.covered_neighbours} neighbouring communes run the model")
            + f" (+{r.c_mentoring:.2f})",
            (f"{r.gap_share:.0%} địa bàn huyện cũ chưa có mô hình" if vi
             else f"{r.gap_share:.0%} of its former districts without the model")
            + f" (+{r.c_gap:.2f})",
        ]  # fmt: skip
        if cats:
            parts.append(("chủ yếu: " if vi else "mostly: ") + cats)
        out.append("; ".join(parts))
    return out


def candidates_result(
    engine: Engine,
    province: str | None,
    *,
    as_of: date | None = None,
    incidents: IncidentFilter | None = None,
    weights: RankingWeights = RankingWeights(),
    islands: str = "nearest",
    refresh: bool = False,
) -> StoredResult:
    """``rank_candidates`` kept with its parameters; recomputed only when inputs change."""
    as_of = as_of or date.today()
    window = (incidents or IncidentFilter()).up_to(as_of)
    params = {
        "province": province,
        "as_of": as_of,
        "start": window.start,
        "end": window.end,
        "categories": window.categories,
        "weights": asdict(weights),
        "islands": islands,
    }

    def compute():
        frame = rank_candidates(
            engine, province, as_of=as_of, incidents=window, weights=weights, islands=islands
        )
        return frame, {"candidates": len(frame), "weights": weights.normalised()}

    return compute_or_read(
        engine, "candidates", province or "all", params, compute, "commune", refresh=refresh
    )
