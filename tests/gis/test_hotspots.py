"""Gi* per commune: textbook values, FDR bins by hand, real Ninh Bình cases, bad input."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import libpysal
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from gis.errors import InputError, NotFound
from gis.hotspots import IncidentFilter, commune_hotspots, confidence_bins, gi_star, hotspots_result
from gis.incident_filter import NoIncidents
from gis.results import latest_result, list_results, with_geometry
from gis.weights import Neighbours
from tests.gis import analysis_fixtures as fx
from tests.gis.analysis_fixtures import commune_points, insert_incidents, neighbours_of
from tests.helpers import snapshot

analysis_url = fx.analysis_url
analysis_engine = fx.analysis_engine


def _columbus() -> tuple[Neighbours, np.ndarray, dict[str, list[str]]]:
    """Columbus crime (libpysal's bundled example, no download) with its queen GAL file."""
    w = libpysal.io.open(libpysal.examples.get_path("columbus.gal")).read()
    table = libpysal.io.open(libpysal.examples.get_path("columbus.dbf"))
    crime = np.array(table.by_col["CRIME"], dtype=float)
    ids = np.array(w.id_order, dtype=object)
    adjacency = sp.csr_matrix(w.sparse)
    neighbours = np.diff(adjacency.indptr)
    contiguity = Neighbours(ids, adjacency, neighbours, neighbours == 0)
    return contiguity, crime, {k: list(v) for k, v in w.neighbors.items()}


def _textbook_gi_star(x: np.ndarray, ids: list[str], neighbours: dict[str, list[str]]):
    """Getis & Ord (1992, 1995) Gi* with binary weights and w_ii = 1, written out by hand."""
    n = len(x)
    position = {code: i for i, code in enumerate(ids)}
    mean = sum(x) / n
    s = math.sqrt(sum(v * v for v in x) / n - mean * mean)
    z = []
    for i, code in enumerate(ids):
        members = [i] + [position[c] for c in neighbours[code]]
        w_sum = float(len(members))  # binary weights, the focal unit included
        w_sq = w_sum  # 1² = 1
        numerator = sum(x[j] for j in members) - mean * w_sum
        denominator = s * math.sqrt((n * w_sq - w_sum * w_sum) / (n - 1))
        z.append(numerator / denominator)
    z = np.array(z)
    p = np.array([math.erfc(abs(v) / math.sqrt(2)) for v in z])  # two-sided normal
    return z, p


def test_gi_star_equals_the_textbook_formula_on_columbus():
    contiguity, crime, neighbours = _columbus()
    expected_z, expected_p = _textbook_gi_star(crime, list(contiguity.codes), neighbours)
    result = gi_star(crime, contiguity, fdr=False)
    assert_allclose(result["z"], expected_z, rtol=0, atol=1e-9)
    assert_allclose(result["p_value"], expected_p, rtol=0, atol=1e-9)
    assert result["neighbours"].tolist() == [len(neighbours[c]) for c in contiguity.codes]
    # A known hot cluster of Columbus (high crime around polygons 4, 5, 6, 16…)
    assert (result["bin"] > 0).sum() > 0 and (result["bin"] < 0).sum() > 0


def test_permutation_p_values_are_seeded_and_two_sided():
    contiguity, crime, _ = _columbus()
    first = gi_star(crime, contiguity, permutations=999, seed=7)
    again = gi_star(crime, contiguity, permutations=999, seed=7)
    assert_allclose(first["p_sim"], again["p_sim"])
    assert first["p_sim"].between(2 / 1000, 1).all()
    # where the normal approximation is very confident, so are the permutations
    strong = first["p_norm"] < 0.001
    assert strong.any() and (first.loc[strong, "p_sim"] <= 0.01).all()
    assert_allclose(first["p_value"], first["p_sim"])


def test_fdr_bins_match_a_hand_worked_benjamini_hochberg_example():
    p = np.array([0.0005, 0.008, 0.039, 0.041, 0.042, 0.061, 0.074, 0.205, 0.212, 0.216])
    z = np.array([3.5, -2.7, 2.1, 2.0, -2.0, 1.9, 1.8, 1.3, -1.2, 1.2])
    # Without FDR: p < 0.01 → 3, < 0.05 → 2, < 0.10 → 1.
    assert confidence_bins(z, p, fdr=False).tolist() == [3, -3, 2, 2, -2, 1, 1, 0, 0, 0]
    # BH, n = 10 (strict p_(k) < k·α/n, as esda.fdr):
    #   α = 0.10: cut-offs 0.01k; largest passing k is 5 (0.042 < 0.05; 0.061 ≥ 0.06)
    #               → p < 0.05 at 90 %;
    #   α = 0.05: cut-offs 0.005k; k = 2 (0.008 < 0.010), k = 3 fails → p < 0.010 at 95 %;
    #   α = 0.01: cut-offs 0.001k; k = 1 (0.0005 < 0.001) → p < 0.001 at 99 %.
    assert confidence_bins(z, p, fdr=True).tolist() == [3, -2, 1, 1, -1, 0, 0, 0, 0, 0]
    # Missing p-values (islands left out) are never significant.
    assert confidence_bins(np.array([5.0, np.nan]), np.array([1e-9, np.nan])).tolist() == [3, 0]


def test_a_cluster_of_incidents_is_a_hotspot_in_ninh_binh(analysis_engine):
    points = commune_points(analysis_engine)
    centre = points.code.iloc[60]
    cluster = [centre, *neighbours_of(analysis_engine, centre)]
    touching = set(cluster).union(*(neighbours_of(analysis_engine, c) for c in cluster))
    # background: 2 incidents per commune; the cluster: 40 each
    per = np.where(points.code.isin(cluster), 40, 2)
    lon = np.repeat(points.lon.to_numpy(), per)
    lat = np.repeat(points.lat.to_numpy(), per)
    insert_incidents(analysis_engine, lon, lat, commune_code=np.repeat(points.code, per).tolist())
    # incidents known only to the province: never counted, reported as left out
    insert_incidents(
        analysis_engine, lon[:5], lat[:5], commune_code=[centre] * 5, precision="province"
    )
    result = commune_hotspots(analysis_engine, IncidentFilter(province="37"))
    assert len(result) == 129
    assert result.attrs["left_out"] == 5
    row = result.set_index("code").loc[centre]
    assert row.incidents == 40 and row.bin == 3 and row.z > 3
    assert row.neighbours == len(cluster) - 1
    # hot only where the cluster is, or right beside it
    assert set(result.loc[result["bin"] > 0, "code"]) <= touching


def test_window_and_categories_filter_the_counts(analysis_engine):
    points = commune_points(analysis_engine).iloc[:3]
    # 23:30 and 00:30 in Vietnam (UTC+7), either side of the new year
    when = [datetime(2023, 12, 31, 16, 30, tzinfo=UTC), datetime(2023, 12, 31, 17, 30, tzinfo=UTC)]
    for category in ("crime", "social_evils"):
        for moment in when:
            insert_incidents(
                analysis_engine, points.lon, points.lat, commune_code=points.code.tolist(),
                occurred_at=moment, category=category,
            )  # fmt: skip
    from gis.hotspots import incident_counts

    counts = incident_counts(
        analysis_engine,
        IncidentFilter("37", date(2024, 1, 1), date(2025, 1, 1), ("crime",)).check(analysis_engine),
    ).set_index("code")
    assert counts.loc[points.code, "incidents"].tolist() == [1, 1, 1]
    assert counts["incidents"].sum() == 3


def test_uniform_random_incidents_give_no_more_hotspots_than_chance(analysis_engine):
    """Complete spatial randomness: per-km² Gi* bins beyond the false-positive rate fail."""
    from gis.commune_index import CommuneIndex

    index = CommuneIndex.from_engine(analysis_engine, "37")
    xmin, ymin, xmax, ymax = np.array([g.bounds for g in index.geoms]).T
    rng = np.random.default_rng(20240601)
    lon = rng.uniform(xmin.min(), xmax.max(), 60_000)
    lat = rng.uniform(ymin.min(), ymax.max(), 60_000)
    found = index.commune_codes(lon, lat)
    inside = found != None  # noqa: E711 -- elementwise on an object array
    insert_incidents(analysis_engine, lon[inside], lat[inside], commune_code=found[inside])
    result = commune_hotspots(analysis_engine, IncidentFilter("37"), per_km2=True, fdr=False)
    # 90 % bins by chance: about 10 % of 129 (~13); a real pattern would show far more
    assert (result["bin"] != 0).sum() <= 0.10 * 129 + 3 * math.sqrt(129 * 0.1 * 0.9)
    with_fdr = commune_hotspots(analysis_engine, IncidentFilter("37"), per_km2=True)
    assert (with_fdr["bin"] != 0).sum() <= 3


def test_bad_input_is_refused_with_a_hint_and_nothing_is_written(analysis_engine):
    before = snapshot(analysis_engine, "analysis_result", "incident")
    with pytest.raises(InputError, match="unknown incident categories: theft"):
        hotspots_result(analysis_engine, IncidentFilter("37", categories=("theft",)))
    with pytest.raises(InputError, match="window is empty"):
        hotspots_result(analysis_engine, IncidentFilter("37", date(2024, 1, 1), date(2023, 1, 1)))
    with pytest.raises(NotFound, match="no communes are loaded for province 99"):
        hotspots_result(analysis_engine, IncidentFilter("99"))
    with pytest.raises(NoIncidents, match="no incidents in the window") as info:
        hotspots_result(analysis_engine, IncidentFilter("37"))  # no incidents at all
    assert "widen" in info.value.hint
    assert snapshot(analysis_engine, "analysis_result", "incident") == before
    points = commune_points(analysis_engine)  # one incident in every commune: no variation
    insert_incidents(analysis_engine, points.lon, points.lat, commune_code=points.code.tolist())
    with pytest.raises(InputError, match="Gi\\* needs values that differ"):
        hotspots_result(analysis_engine, IncidentFilter("37"))


def test_results_are_kept_and_recomputed_when_incidents_change(analysis_engine):
    points = commune_points(analysis_engine)
    per = np.arange(len(points)) % 7
    insert_incidents(
        analysis_engine,
        np.repeat(points.lon, per),
        np.repeat(points.lat, per),
        commune_code=np.repeat(points.code, per).tolist(),
    )
    first = hotspots_result(analysis_engine, IncidentFilter("37"))
    assert first.recomputed and first.id > 0 and first.data_as_of is not None
    again = hotspots_result(analysis_engine, IncidentFilter("37"))
    assert not again.recomputed and again.id == first.id
    assert_allclose(again.frame["z"], first.frame["z"], rtol=1e-12)
    assert again.summary["incidents"] == int(per.sum())
    insert_incidents(
        analysis_engine, points.lon[:1], points.lat[:1], commune_code=points.code[:1].tolist()
    )
    assert latest_result(analysis_engine, "hotspots", "37") is None  # stale now
    assert latest_result(analysis_engine, "hotspots", "37", fresh_only=False).id == first.id
    third = hotspots_result(analysis_engine, IncidentFilter("37"))
    assert third.recomputed and third.summary["incidents"] == int(per.sum()) + 1
    latest = latest_result(analysis_engine, "hotspots", "37")
    assert latest.id == first.id and latest.summary["incidents"] == int(per.sum()) + 1
    shaped = with_geometry(analysis_engine, latest.frame, latest.geometry)
    assert shaped.crs.to_epsg() == 4326 and shaped.geometry.notna().all()
    assert list_results(analysis_engine, "hotspots")["fresh"].tolist() == [True]
