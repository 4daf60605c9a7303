"""Replication candidates: the explained ranking by hand, and the covering optimiser."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from gis.covering import choose_sites, covering_result, marginal_order, solve_max_covering
from gis.errors import InputError
from gis.former_districts import former_districts
from gis.planning import RankingWeights, candidates_result, rank_candidates
from tests.gis import analysis_fixtures as fx
from tests.gis.analysis_fixtures import commune_points, insert_incidents, insert_site, neighbours_of
from tests.helpers import count, snapshot

analysis_url = fx.analysis_url
analysis_engine = fx.analysis_engine


def _line_problem():
    """Demands at 0, 10, 20, 30 (weights 5, 6, 6, 5); places at 5, 15, 25; radius 5.5.

    Greedy takes the middle place first (12) and ends with 17; the optimum is the two
    outer places, covering everything (22).
    """
    demand_x = np.array([0.0, 10.0, 20.0, 30.0])
    place_x = np.array([5.0, 15.0, 25.0])
    distance = np.abs(demand_x[:, None] - place_x[None, :])
    return distance, np.array([5.0, 6.0, 6.0, 5.0])


def test_the_optimiser_finds_the_known_optimum_where_greedy_fails():
    distance, weight = _line_problem()
    chosen, status = solve_max_covering(distance, weight, 5.5, 2, np.zeros(3, bool))
    assert status == "Optimal"
    assert sorted(chosen.tolist()) == [0, 2]
    _, gains = marginal_order(distance <= 5.5, weight, np.zeros(3, bool), chosen)
    assert gains.tolist() == [11.0, 11.0] and gains.sum() == weight.sum()


def test_existing_sites_stay_fixed_and_gains_are_marginal():
    distance, weight = _line_problem()
    fixed = np.array([True, False, False])  # a site already at 5 covers 0 and 10
    chosen, _ = solve_max_covering(distance, weight, 5.5, 1, fixed)
    assert chosen.tolist() == [2]  # 25 adds 20 and 30 (11); 15 would add only 20 (6)
    order, gains = marginal_order(distance <= 5.5, weight, fixed, chosen)
    assert order.tolist() == [2] and gains.tolist() == [11.0]


@pytest.fixture
def planned(analysis_engine):
    """A model in commune S; incidents in three other communes, worked through below."""
    codes = commune_points(analysis_engine)["code"]
    site = codes.iloc[5]
    mentor_neighbour = neighbours_of(analysis_engine, site)[0]
    far = [c for c in codes.iloc[60:] if c not in neighbours_of(analysis_engine, site)]
    busy, quiet = far[0], far[1]
    insert_site(analysis_engine, site, components=(1, 2, 3, 4, 5))
    points = commune_points(analysis_engine, [busy, quiet, mentor_neighbour]).set_index("code")

    def add(code, category, n):
        insert_incidents(analysis_engine, [points.loc[code, "lon"]] * n,
                         [points.loc[code, "lat"]] * n, commune_code=[code] * n,
                         category=category)  # fmt: skip

    add(busy, "crime", 6)
    add(busy, "social_evils", 4)
    add(quiet, "other", 4)
    add(quiet, "public_order", 1)
    add(mentor_neighbour, "property_fire", 3)
    return {"site": site, "busy": busy, "quiet": quiet, "neighbour": mentor_neighbour}


def test_ranking_by_hand(analysis_engine, planned):
    frame = rank_candidates(analysis_engine, "37", as_of=date(2025, 1, 1)).set_index("code")
    assert planned["site"] not in frame.index and len(frame) == 128
    busy, quiet, neighbour = (
        frame.loc[planned["busy"]],
        frame.loc[planned["quiet"]],
        frame.loc[planned["neighbour"]],
    )
    # percentile ranks among 128 candidates, 125 of them at zero (kept at zero)
    assert busy.f_burden_count == pytest.approx(128 / 128)
    assert quiet.f_burden_count == pytest.approx(127 / 128)
    assert neighbour.f_burden_count == pytest.approx(126 / 128)
    assert (
        frame.drop([planned["busy"], planned["quiet"], planned["neighbour"]])["f_burden_count"]
        .eq(0)
        .all()
    )
    assert neighbour.f_mentoring == 1 and neighbour.covered_neighbours == 1
    assert busy.f_mentoring == 0
    area_km2 = count(analysis_engine, "SELECT area_km2 FROM admin_unit WHERE code = :c",
                     c=planned["busy"])  # fmt: skip
    assert busy.rate_basis == "per_km2" and busy.rate == pytest.approx(10 / area_km2)
    w = RankingWeights().normalised()
    for row in (busy, quiet, neighbour):
        assert row.c_burden_count == pytest.approx(w["burden_count"] * row.f_burden_count)
        assert row.score == pytest.approx(
            sum(
                row[f"c_{name}"]
                for name in ("burden_count", "burden_rate", "hotspot", "mentoring", "gap")
            )
        )
    assert busy.dominant_categories == ["crime", "social_evils"]
    assert busy.recommended_components == [1, 2]
    assert quiet.dominant_categories == ["other", "public_order"]
    assert quiet.recommended_components == [4]
    assert "10 vụ việc" in busy.explanation_vi and "10 incidents" in busy.explanation_en
    assert frame["rank"].tolist() == list(range(1, 129))
    assert frame["score"].is_monotonic_decreasing


def test_gap_is_the_share_of_former_districts_without_a_model(analysis_engine, planned):
    districts = former_districts(analysis_engine, "37")
    reached = set(districts.loc[districts["code"] == planned["site"], "district_code"])
    frame = rank_candidates(analysis_engine, "37").set_index("code")
    expected = districts[~districts["district_code"].isin(reached)].groupby("code")["share"].sum()
    got = frame["gap_share"]
    assert got.to_dict() == pytest.approx(expected.reindex(got.index, fill_value=0.0).to_dict())
    # communes wholly inside a district the site reaches have no gap
    inside = districts[districts["district_code"].isin(reached)].groupby("code")["share"].sum()
    whole = [c for c in inside.index[inside > 0.999] if c in frame.index]
    assert whole and (frame.loc[whole, "gap_share"] == 0).all()


def test_weights_change_the_order_and_are_validated(analysis_engine, planned):
    only_mentoring = RankingWeights.parse(
        "burden_count=0,burden_rate=0,hotspot=0,gap=0,mentoring=1"
    )
    frame = rank_candidates(analysis_engine, "37", weights=only_mentoring)
    top = frame[frame["score"] == 1]["code"]
    assert set(top) == set(neighbours_of(analysis_engine, planned["site"]))
    with pytest.raises(InputError, match="unknown weight 'speed'"):
        RankingWeights.parse("speed=1")
    with pytest.raises(InputError, match="must be ≥ 0"):
        RankingWeights.parse("gap=-1")


def test_candidates_are_stored(analysis_engine, planned):
    first = candidates_result(analysis_engine, "37", as_of=date(2025, 1, 1))
    assert first.recomputed and first.summary["candidates"] == 128
    assert not candidates_result(analysis_engine, "37", as_of=date(2025, 1, 1)).recomputed


def test_covering_picks_the_communes_where_incidents_are(analysis_engine):
    points = commune_points(analysis_engine)
    existing, first, second = points.iloc[0], points.iloc[50], points.iloc[100]
    insert_site(analysis_engine, existing.code, lon=existing.lon, lat=existing.lat)
    rng = np.random.default_rng(8)
    for spot, n in ((existing, 30), (first, 50), (second, 20)):
        insert_incidents(
            analysis_engine, spot.lon + rng.normal(0, 0.001, n), spot.lat + rng.normal(0, 0.001, n)
        )
    choice = choose_sites(analysis_engine, "37", k=2, radius_m=1_500)
    assert choice.chosen["code"].tolist() == [first.code, second.code]
    assert choice.chosen["marginal_gain"].tolist() == [50, 20]
    summary = choice.summary
    assert (summary["total"], summary["covered_before"], summary["covered_after"]) == (100, 30, 100)
    assert summary["share_before"] == pytest.approx(0.3) and summary["share_after"] == 1.0
    assert summary["existing_sites"] == 1 and summary["solver_status"] == "Optimal"
    assert choice.chosen["share_after"].tolist() == [0.8, 1.0]
    stored = covering_result(analysis_engine, "37", k=2, radius_m=1_500)
    assert stored.frame["code"].tolist() == [first.code, second.code]


def test_covering_refuses_bad_input_and_writes_nothing(analysis_engine):
    before = snapshot(analysis_engine, "analysis_result")
    with pytest.raises(InputError, match="at least one new site"):
        covering_result(analysis_engine, "37", k=0)
    with pytest.raises(InputError, match="radius -5 m is not positive"):
        covering_result(analysis_engine, "37", radius_m=-5)
    with pytest.raises(InputError, match="no incidents to cover in province 37"):
        covering_result(analysis_engine, "37")
    with pytest.raises(InputError, match="no population figures for province 37"):
        covering_result(analysis_engine, "37", demand="population")
    assert snapshot(analysis_engine, "analysis_result") == before
