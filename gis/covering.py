"""Where to put k new sites: the maximal covering location problem (spopt MCLP, CBC solver).

Demand is incidents (precisely located ones, gathered on fine H3 hexagons, each weighted
by its count) or population (each commune's figure at its inner point). Candidate places
are the inner points of the communes without an active model; existing active sites are
fixed in the solution. A demand is covered within ``radius_m`` metres (EPSG:32648) of a
site. The report gives each chosen site's marginal gain (in the order that adds most at
each step) and the coverage before and after.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from pyproj import Transformer
from scipy.spatial.distance import cdist
from sqlalchemy.engine import Engine

from gis.coverage import commune_coverage, site_states
from gis.errors import InputError
from gis.hotspots_grid import cell_centres, cells_of
from gis.incident_filter import IncidentFilter, NoIncidents, incident_points
from gis.population import population_as_of
from gis.results import StoredResult, compute_or_read
from gis.weights import METRIC_CRS

DEMAND_RESOLUTION = 9  # ~0.1 km² hexagons: far finer than any useful radius
MAX_MATRIX = 20_000_000  # demand × places; beyond it, ask for a province
SOLVER_SECONDS = 120


@dataclass
class CoveringChoice:
    """The optimiser's answer: the chosen places in order, and the coverage figures."""

    chosen: pd.DataFrame
    summary: dict


def solve_max_covering(
    distance_m: np.ndarray, demand: np.ndarray, radius_m: float, k: int, fixed: np.ndarray
) -> tuple[np.ndarray, str]:
    """Indices of the k places (columns) added to the ``fixed`` ones that cover most demand.

    ``distance_m``: demand × places; ``fixed``: boolean mask of places already open.
    Existing places are fixed by counting the demand they cover as covered and leaving it
    out, with them, of the model: the same optimum as pinning their variables to 1
    (spopt's predefined facilities), with a model smaller by all that demand — a province
    with hundreds of sites otherwise spends minutes building it. Demand that no new place
    can reach is left out too. Returns the chosen new places and the solver status.
    """
    import pulp
    from spopt.locate import MCLP

    fixed = np.asarray(fixed, dtype=bool)
    covers = np.asarray(distance_m) <= radius_m
    open_places = np.flatnonzero(~fixed)
    already = covers[:, fixed].any(axis=1) if fixed.any() else np.zeros(len(covers), bool)
    rows = ~already & covers[:, open_places].any(axis=1)
    k = min(k, len(open_places))
    if k == 0 or not rows.any():
        return np.empty(0, dtype=np.int64), "nothing left to cover"
    with warnings.catch_warnings():
        # spopt builds its model with PuLP calls that PuLP 3 marks for removal in 4.0
        warnings.simplefilter("ignore", DeprecationWarning)
        problem = MCLP.from_cost_matrix(
            np.asarray(distance_m)[np.ix_(rows, open_places)],
            np.asarray(demand, dtype=float)[rows],
            service_radius=radius_m,
            p_facilities=k,
            name="tuquan_sites",
        )
        problem.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=SOLVER_SECONDS))
    status = pulp.LpStatus[problem.problem.status]
    opened = np.array([bool(round(v.value() or 0)) for v in problem.fac_vars])
    return open_places[opened], status


def marginal_order(
    covers: np.ndarray, demand: np.ndarray, fixed: np.ndarray, chosen: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The chosen places in the order that adds most demand at each step, with their gains."""
    covered = covers[:, fixed].any(axis=1) if fixed.any() else np.zeros(len(demand), bool)
    remaining, order, gains = list(chosen), [], []
    while remaining:
        adds = [(demand * (covers[:, j] & ~covered)).sum() for j in remaining]
        best = int(np.argmax(adds))
        place = remaining.pop(best)
        order.append(place)
        gains.append(adds[best])
        covered |= covers[:, place]
    return np.array(order, dtype=np.int64), np.array(gains, dtype=float)


def _demand(
    engine: Engine, province: str, incidents: IncidentFilter, by: str, as_of: date
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Demand points (lon, lat, weight) and how many incidents were left out."""
    if by == "incidents":
        points = incident_points(engine, incidents)
        cells = cells_of(points.lon, points.lat, DEMAND_RESOLUTION)
        unique, weight = np.unique(cells, return_counts=True)
        lon, lat = cell_centres(unique)
        return lon, lat, weight.astype(float), points.left_out
    inner = _inner_points(engine, province)
    figures = population_as_of(engine, inner["code"].tolist(), as_of.year)
    if figures.empty:
        raise InputError(
            f"no population figures for province {province}",
            "import them with `tuquan import population FILE`, or cover incidents instead",
        )
    known = inner[inner["code"].isin(figures.index)]
    weight = figures.reindex(known["code"]).to_numpy(float)
    return known["lon"].to_numpy(), known["lat"].to_numpy(), weight, len(inner) - len(known)


def _inner_points(engine: Engine, province: str) -> pd.DataFrame:
    """code, name, lon, lat of a point inside each commune of the province."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT code, name, ST_X(p) AS lon, ST_Y(p) AS lat FROM (SELECT code, name, "
                "ST_PointOnSurface(geom) p FROM admin_unit WHERE level = 'commune' "
                "AND parent_code = :p) s ORDER BY code"
            ),
            {"p": province},
        ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["code", "name", "lon", "lat"])


def choose_sites(
    engine: Engine,
    province: str,
    *,
    k: int = 5,
    radius_m: float = 3000.0,
    demand: str = "incidents",
    as_of: date | None = None,
    incidents: IncidentFilter | None = None,
) -> CoveringChoice:
    """Pick ``k`` communes for new sites that cover the most demand, existing sites fixed.

    ``chosen`` columns: order, code, name, lon, lat, marginal_gain, marginal_share,
    covered_after, share_after. ``summary``: demand, total, covered_before, share_before,
    covered_after, share_after, existing_sites, k, radius_m, solver_status, left_out.
    """
    if k < 1:
        raise InputError(f"k = {k}: at least one new site is needed", "give --k 1 or more")
    if radius_m <= 0:
        raise InputError(f"radius {radius_m} m is not positive", "give --radius-m > 0")
    if demand not in ("incidents", "population"):
        raise InputError(f"unknown demand {demand!r}", "use incidents or population")
    as_of = as_of or date.today()
    window = (incidents or IncidentFilter()).up_to(as_of)
    window = IncidentFilter(province, window.start, window.end, window.categories).check(engine)
    lon_d, lat_d, weight, left_out = _demand(engine, province, window, demand, as_of)
    if weight.sum() <= 0:
        raise NoIncidents(
            f"no {demand} to cover in province {province} "
            f"({left_out} incidents located only to their commune or coarser)",
            "load precisely located incidents, or choose --demand population",
        )
    coverage = commune_coverage(engine, province, as_of)
    places = _places(engine, province, as_of, coverage)
    if (~places["fixed"]).sum() == 0:
        raise InputError(f"every commune of province {province} already runs the model")
    if len(weight) * len(places) > MAX_MATRIX:
        raise InputError(
            f"{len(weight):,} demand points × {len(places):,} places is too large to solve",
            "choose one province, a shorter window or fewer categories",
        )
    to_metric = Transformer.from_crs(4326, METRIC_CRS, always_xy=True)
    demand_xy = np.column_stack(to_metric.transform(lon_d, lat_d))
    place_xy = np.column_stack(to_metric.transform(places["lon"], places["lat"]))
    distance = cdist(demand_xy, place_xy)
    fixed = places["fixed"].to_numpy()
    new, status = solve_max_covering(distance, weight, radius_m, k, fixed)
    covers = distance <= radius_m
    order, gains = marginal_order(covers, weight, fixed, new)
    total = float(weight.sum())
    before = float(weight[covers[:, fixed].any(axis=1)].sum()) if fixed.any() else 0.0
    chosen = places.iloc[order][["code", "name", "lon", "lat"]].reset_index(drop=True)
    chosen.insert(0, "order", np.arange(1, len(chosen) + 1))
    chosen["marginal_gain"] = gains
    chosen["marginal_share"] = gains / total
    chosen["covered_after"] = before + np.cumsum(gains)
    chosen["share_after"] = chosen["covered_after"] / total
    after = before + float(gains.sum())
    summary = {
        "demand": demand, "total": total, "covered_before": before, "share_before": before / total,
        "covered_after": after, "share_after": after / total, "existing_sites": int(fixed.sum()),
        "k": k, "radius_m": radius_m, "solver_status": status, "left_out": left_out,
        "demand_points": len(weight),
    }  # fmt: skip
    return CoveringChoice(chosen, summary)


def _places(engine: Engine, province: str, as_of: date, coverage: pd.DataFrame) -> pd.DataFrame:
    """Existing active sites (fixed) and one inner point per uncovered commune."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT s.id, s.commune_code AS code, u.name, ST_X(s.geom) AS lon, "
                "ST_Y(s.geom) AS lat FROM site s JOIN admin_unit u ON u.code = s.commune_code "
                "WHERE s.province_code = :p ORDER BY s.id"
            ),
            {"p": province},
        ).all()
    sites = pd.DataFrame([tuple(r) for r in rows], columns=["id", "code", "name", "lon", "lat"])
    states = site_states(engine, [as_of], province)
    active = sites[sites["id"].isin(states.loc[states["active"], "site_id"])]
    inner = _inner_points(engine, province)
    candidates = inner[inner["code"].isin(coverage.loc[~coverage["covered"], "code"])]
    return pd.concat(
        [active.drop(columns="id").assign(fixed=True), candidates.assign(fixed=False)],
        ignore_index=True,
    )


def covering_result(
    engine: Engine,
    province: str,
    *,
    k: int = 5,
    radius_m: float = 3000.0,
    demand: str = "incidents",
    as_of: date | None = None,
    incidents: IncidentFilter | None = None,
    refresh: bool = False,
) -> StoredResult:
    """``choose_sites`` kept with its parameters; recomputed only when inputs change."""
    as_of = as_of or date.today()
    window = (incidents or IncidentFilter()).up_to(as_of)
    params = {"province": province, "k": k, "radius_m": radius_m, "demand": demand,
              "as_of": as_of, "start": window.start, "end": window.end,
              "categories": window.categories}  # fmt: skip

    def compute():
        choice = choose_sites(
            engine, province, k=k, radius_m=radius_m, demand=demand, as_of=as_of,
            incidents=window,
        )  # fmt: skip
        return choice.chosen, choice.summary

    return compute_or_read(engine, "covering", province, params, compute, "lonlat",
                           refresh=refresh)  # fmt: skip
