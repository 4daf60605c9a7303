"""Coverage on a small hand-computed case in Ninh Bình, as of several dates; population."""

from __future__ import annotations

from datetime import date

import pytest

from gis.coverage import commune_coverage, coverage_by_year, coverage_result, province_coverage
from gis.errors import InputError, NotFound
from gis.population import load_population
from tests.gis import analysis_fixtures as fx
from tests.gis.analysis_fixtures import commune_points, insert_site
from tests.helpers import snapshot

analysis_url = fx.analysis_url
analysis_engine = fx.analysis_engine


@pytest.fixture
def four_communes(analysis_engine):
    """Sites in four communes A–D with the histories worked through in the tests."""
    a, b, c, d = commune_points(analysis_engine)["code"].iloc[:4]
    insert_site(
        analysis_engine,
        a,
        kind="village",
        components=(1, 2),
        status="replicated",
        history=[("pilot", date(2021, 3, 1)), ("replicated", date(2022, 1, 10))],
    )
    insert_site(
        analysis_engine,
        a,
        kind="clan",
        components=(3,),
        status="replicated",
        started_on=date(2023, 5, 1),
    )
    insert_site(
        analysis_engine,
        b,
        kind="commune",
        components=(1, 2, 3, 4, 5),
        status="suspended",
        history=[("pilot", date(2022, 6, 1)), ("suspended", date(2024, 2, 1))],
    )
    insert_site(
        analysis_engine,
        c,
        kind="village",
        components=(4,),
        status="planned",
        started_on=date(2024, 1, 1),
    )
    insert_site(
        analysis_engine,
        d,
        kind="religious",
        components=(5,),
        status="pilot",
        history=[("planned", date(2023, 1, 1)), ("pilot", date(2024, 9, 1))],
    )
    return a, b, c, d  # fmt: skip


def test_commune_coverage_as_of_the_end_of_2023(analysis_engine, four_communes):
    a, b, c, d = four_communes
    frame = commune_coverage(analysis_engine, "37", date(2023, 12, 31)).set_index("code")
    assert len(frame) == 129
    assert frame["covered"].sum() == 2
    row = frame.loc[a]
    assert row.covered and row.components == [1, 2, 3] and row.component_count == 3
    assert (row.sites_village, row.sites_clan, row.active_sites) == (1, 1, 2)
    assert row.status == "replicated" and row.first_year == 2021
    assert row.has_crime and row.has_property_fire and not row.has_public_order
    row = frame.loc[b]
    assert row.covered and row.components == [1, 2, 3, 4, 5] and row.status == "pilot"
    assert row.first_year == 2022 and row.sites_commune == 1
    assert not frame.loc[c, "covered"] and frame.loc[c, "status"] is None  # starts in 2024
    assert not frame.loc[d, "covered"] and frame.loc[d, "status"] == "planned"
    untouched = frame.drop([a, b, c, d])
    assert not untouched["covered"].any() and untouched["status"].isna().all()


def test_commune_coverage_as_of_the_end_of_2024(analysis_engine, four_communes):
    a, b, c, d = four_communes
    frame = commune_coverage(analysis_engine, "37", date(2024, 12, 31)).set_index("code")
    assert frame.loc[[a, b, c, d], "covered"].tolist() == [True, False, False, True]
    assert frame.loc[[a, b, c, d], "status"].tolist() == [
        "replicated",
        "suspended",
        "planned",
        "pilot",
    ]
    assert frame.loc[d, "components"] == [5] and frame.loc[d, "first_year"] == 2024
    assert frame.loc[b, "components"] == []  # a suspended site covers nothing


def test_province_shares_by_component_and_kind(analysis_engine, four_communes):
    row = province_coverage(analysis_engine, "37", date(2023, 12, 31)).iloc[0]
    assert (row.communes, row.covered_communes) == (129, 2)
    assert row.covered_share == pytest.approx(2 / 129)
    assert row.share_crime == pytest.approx(2 / 129)  # A and B
    assert row.share_public_order == pytest.approx(1 / 129)  # B only
    assert row.share_kind_village == pytest.approx(1 / 129)
    assert row.share_kind_religious == 0
    assert (row.partial_communes, row.full_communes) == (1, 1)
    assert row.first_year == 2021


def test_year_by_year_growth(analysis_engine, four_communes):
    years = coverage_by_year(analysis_engine, "37", date(2024, 12, 31))
    assert years["year"].tolist() == [2021, 2022, 2023, 2024]
    assert years["covered_communes"].tolist() == [1, 2, 2, 2]
    assert years["new_communes"].tolist() == [1, 1, 0, 1]  # 2024: D in…
    assert years["lost_communes"].tolist() == [0, 0, 0, 1]  # …and B out
    assert years["growth_points"].round(6).tolist() == [
        round(100 / 129, 6),
        round(100 / 129, 6),
        0.0,
        0.0,
    ]
    assert years["as_of"].iloc[-1] == date(2024, 12, 31)


def test_population_weighted_shares(analysis_engine, four_communes, tmp_path):
    a, b, c, d = four_communes
    path = tmp_path / "population.csv"
    path.write_text(
        f"code,population,year\n{a},1000,2023\n{b},3 000,2023\n{c},2000,2023\n{d},4000,2023\n"
    )
    loaded = load_population(analysis_engine, path)
    assert (loaded.rows, loaded.inserted, loaded.updated, loaded.years) == (4, 4, 0, [2023])
    assert province_coverage(analysis_engine, "37", date(2023, 12, 31)).iloc[0][
        "population_share"
    ] == pytest.approx(0.4)  # A + B of 10,000
    years = coverage_by_year(analysis_engine, "37", date(2024, 12, 31)).set_index("year")
    assert years.loc[2024, "population_share"] == pytest.approx(0.5)  # A + D
    again = load_population(analysis_engine, path)
    assert (again.inserted, again.updated) == (0, 4)


def test_bad_population_files_are_refused_and_change_nothing(analysis_engine, tmp_path):
    code = commune_points(analysis_engine)["code"].iloc[0]
    before = snapshot(analysis_engine, "population")
    cases = {
        "code,people,year\n": "missing column\\(s\\) population",
        f"code,population,year\n{code},many,2024\n": "not a whole number ≥ 0 on line\\(s\\) 2",
        f"code,population,year\n{code},10,24\n": "year is not a year on line\\(s\\) 2",
        f"code,population,year\n{code},10,2024\n{code},11,2024\n": "appear twice",
        f"code,population,year\n{code},10,2024\n99999,5,2024\n": "unknown unit code\\(s\\) 99999",
    }
    for i, (text, message) in enumerate(cases.items()):
        path = tmp_path / f"bad{i}.csv"
        path.write_text(text)
        with pytest.raises(InputError, match=message):
            load_population(analysis_engine, path)
    (tmp_path / "x.txt").write_text("code,population,year\n")
    with pytest.raises(InputError, match=r"unsupported file type \.txt"):
        load_population(analysis_engine, tmp_path / "x.txt")
    assert snapshot(analysis_engine, "population") == before


def test_coverage_result_is_kept_until_a_site_changes(analysis_engine, four_communes):
    first = coverage_result(analysis_engine, "37", date(2024, 12, 31))
    assert first.recomputed and first.summary["provinces"][0]["covered_communes"] == 2
    assert [y["year"] for y in first.summary["years"]] == [2021, 2022, 2023, 2024]
    assert not coverage_result(analysis_engine, "37", date(2024, 12, 31)).recomputed
    insert_site(analysis_engine, four_communes[2], kind="clan", components=(2,))
    third = coverage_result(analysis_engine, "37", date(2024, 12, 31))
    assert third.recomputed and third.summary["provinces"][0]["covered_communes"] == 3


def test_unknown_province_is_refused(analysis_engine):
    with pytest.raises(NotFound, match="no communes are loaded for province 99"):
        commune_coverage(analysis_engine, "99")
