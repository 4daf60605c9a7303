"""`tuquan coverage | hotspots | candidates | import population` end to end on Ninh Bình."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from tests.gis import analysis_fixtures as fx
from tests.gis.analysis_fixtures import commune_points, insert_incidents, insert_site
from tests.helpers import snapshot

analysis_url = fx.analysis_url
analysis_engine = fx.analysis_engine


@pytest.fixture
def records(analysis_engine):
    points = commune_points(analysis_engine)
    insert_site(analysis_engine, points.code.iloc[0], started_on=date(2022, 5, 1))
    insert_site(analysis_engine, points.code.iloc[1], kind="clan", components=(2, 5),
                started_on=date(2024, 2, 1))  # fmt: skip
    rng = np.random.default_rng(12)
    per = rng.integers(0, 8, len(points))
    per[40:45] = 60
    for year in (2022, 2023, 2024):
        insert_incidents(
            analysis_engine,
            np.repeat(points.lon, per) + rng.normal(0, 0.002, per.sum()),
            np.repeat(points.lat, per) + rng.normal(0, 0.002, per.sum()),
            commune_code=np.repeat(points.code, per).tolist(),
            occurred_at=datetime(year, 3, 1, tzinfo=UTC),
            category="crime",
        )
    return points, int(per.sum())


def test_coverage_prints_tables_and_writes_geojson(cli, analysis_url, records, tmp_path):
    out = tmp_path / "coverage.geojson"
    code, stdout, stderr = cli(
        analysis_url, "coverage", "--province", "37", "--as-of", "2025-01-01", "--out", str(out)
    )
    assert code == 0, stderr
    assert "Độ phủ / coverage" in stdout and "1.6%" in stdout  # 2 of 129
    assert "2022" in stdout and "2024" in stdout
    features = json.loads(out.read_text())["features"]
    assert len(features) == 129
    covered = [f for f in features if f["properties"]["covered"]]
    assert len(covered) == 2 and covered[0]["geometry"]["type"] == "MultiPolygon"
    again = cli(analysis_url, "coverage", "--province", "37", "--as-of", "2025-01-01")
    assert "kept result" in again[1]


def test_hotspots_in_every_kind(cli, analysis_url, records, tmp_path):
    code, stdout, stderr = cli(analysis_url, "hotspots", "--province", "37")
    assert code == 0, stderr
    assert "Điểm nóng / hotspots (communes)" in stdout and '"bins"' in stdout
    out = tmp_path / "grid.csv"
    code, stdout, stderr = cli(
        analysis_url, "hotspots", "--kind", "grid", "--resolution", "7", "--out", str(out)
    )
    assert code == 0, stderr
    grid = pd.read_csv(out)
    assert {"h3_cell", "z", "bin", "incidents"} <= set(grid.columns)
    assert grid["incidents"].sum() == 3 * records[1]  # every incident has coordinates
    code, stdout, stderr = cli(analysis_url, "hotspots", "--kind", "density",
                               "--bandwidth-m", "2000")  # fmt: skip
    assert code == 0, stderr
    code, stdout, stderr = cli(analysis_url, "hotspots", "--kind", "trend", "--start",
                               "2022-01-01", "--end", "2025-01-01")  # fmt: skip
    assert code == 0, stderr
    assert "xu hướng" in stdout


def test_candidates_rank_and_choose_sites(cli, analysis_url, records, tmp_path):
    out = tmp_path / "candidates.csv"
    code, stdout, stderr = cli(
        analysis_url, "candidates", "--k", "3", "--radius-m", "3000", "--out", str(out)
    )
    assert code == 0, stderr
    assert "Xếp hạng / ranking" in stdout and "new sites" in stdout
    assert "phủ trước / before" in stdout
    ranking = pd.read_csv(out)
    assert len(ranking) == 127 and ranking["rank"].tolist()[:3] == [1, 2, 3]


def test_bad_input_is_one_message_and_changes_nothing(cli, analysis_url, analysis_engine):
    before = snapshot(analysis_engine, "analysis_result", "population")
    code, _, stderr = cli(analysis_url, "coverage", "--as-of", "2025-13-01")
    assert code == 1 and "--as-of '2025-13-01' is not a date" in stderr
    assert "Traceback" not in stderr
    code, _, stderr = cli(analysis_url, "hotspots", "--category", "theft")
    assert code == 1 and "unknown incident categories: theft" in stderr
    code, _, stderr = cli(analysis_url, "candidates", "--weights", "speed=2")
    assert code == 1 and "unknown weight 'speed'" in stderr
    code, _, stderr = cli(analysis_url, "coverage", "--out", "x.shp")
    assert code == 1 and "unsupported file type" in stderr
    assert snapshot(analysis_engine, "analysis_result", "population") == before


def test_population_import(cli, analysis_url, analysis_engine, tmp_path):
    codes = commune_points(analysis_engine)["code"].iloc[:2].tolist()
    path = tmp_path / "dan-so.csv"
    path.write_text(f"code,population,year\n{codes[0]},12000,2024\n{codes[1]},8000,2024\n")
    code, stdout, stderr = cli(analysis_url, "import", "population", str(path))
    assert code == 0, stderr
    assert "2 rows (2 new, 0 updated), years 2024" in stdout


def test_no_incidents_yet_is_a_note_not_an_error(cli, analysis_url, analysis_engine):
    code, stdout, stderr = cli(analysis_url, "hotspots", "--province", "37")
    assert code == 0, stderr
    assert "nothing to analyse" in stdout and "no incidents in the window" in stdout
    code, stdout, stderr = cli(analysis_url, "candidates", "--province", "37")
    assert code == 0, stderr
    assert "Xếp hạng / ranking" in stdout and "no incidents to cover" in stdout
    code, stdout, stderr = cli(analysis_url, "coverage", "--province", "37")
    assert code == 0, stderr
    assert "0.0%" in stdout  # no site yet: nothing covered


def _stored_flags(engine) -> dict[str, bool]:
    import sqlalchemy as sa

    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT kind, summary->'synthetic_data' FROM analysis_result"))
        return dict(rows.all())


def test_synthetic_inputs_are_labelled_in_tables_files_and_stored_summaries(
    cli, analysis_url, analysis_engine, records, tmp_path
):
    import sqlalchemy as sa

    banner = "Dữ liệu mô phỏng / synthetic data"
    # The fixtures write demo records (is_synthetic): every output says so.
    out = tmp_path / "coverage.csv"
    code, stdout, stderr = cli(analysis_url, "coverage", "--as-of", "2025-01-01", "--out", str(out))
    assert code == 0, stderr
    assert banner in stdout
    assert pd.read_csv(out)["synthetic_data"].eq(True).all()
    # A result kept before the flag existed gets it on reading, from the data as it is.
    with analysis_engine.begin() as conn:
        conn.execute(sa.text("UPDATE analysis_result SET summary = summary - 'synthetic_data'"))
    again = cli(analysis_url, "coverage", "--as-of", "2025-01-01")
    assert "kept result" in again[1] and banner in again[1]
    out = tmp_path / "hotspots.geojson"
    code, stdout, stderr = cli(analysis_url, "hotspots", "--out", str(out))
    assert code == 0, stderr
    assert banner in stdout
    features = json.loads(out.read_text())["features"]
    assert all(f["properties"]["synthetic_data"] is True for f in features)
    # (the stripped coverage row is flagged when read, not written again)
    assert _stored_flags(analysis_engine) == {"coverage": None, "hotspots": True}

    # Real sites, demo incidents: coverage reads only the sites, hotspots only the incidents.
    with analysis_engine.begin() as conn:
        conn.execute(sa.text("UPDATE site SET is_synthetic = false"))
    out = tmp_path / "coverage-real.csv"
    code, stdout, stderr = cli(analysis_url, "coverage", "--as-of", "2025-01-01", "--out", str(out))
    assert code == 0, stderr
    assert banner not in stdout
    assert pd.read_csv(out)["synthetic_data"].eq(False).all()
    code, stdout, stderr = cli(analysis_url, "hotspots")
    assert banner in stdout

    # No demo record left: no banner anywhere, the marker says false.
    with analysis_engine.begin() as conn:
        conn.execute(sa.text("UPDATE incident SET is_synthetic = false"))
    ranking, chosen = tmp_path / "ranking.csv", tmp_path / "sites.geojson"
    code, stdout, stderr = cli(analysis_url, "candidates", "--k", "2", "--out", str(ranking),
                               "--out-sites", str(chosen))  # fmt: skip
    assert code == 0, stderr
    assert banner not in stdout
    assert pd.read_csv(ranking)["synthetic_data"].eq(False).all()
    features = json.loads(chosen.read_text())["features"]
    assert [f["properties"]["synthetic_data"] for f in features] == [False, False]
    flags = _stored_flags(analysis_engine)  # hotspots: kept from before, stale, not read again
    assert {k: flags[k] for k in ("coverage", "candidates", "covering")} == {
        "coverage": False, "candidates": False, "covering": False,
    }  # fmt: skip


def test_candidates_export_the_chosen_sites(cli, analysis_url, records, tmp_path):
    out = tmp_path / "chosen.csv"
    code, stdout, stderr = cli(analysis_url, "candidates", "--k", "3", "--radius-m", "3000",
                               "--out-sites", str(out))  # fmt: skip
    assert code == 0, stderr
    assert f"→ {out} (3 rows)" in stdout
    chosen = pd.read_csv(out, dtype={"code": str})
    assert chosen["order"].tolist() == [1, 2, 3]
    assert chosen.columns.tolist() == [
        "order", "code", "name", "lon", "lat", "marginal_gain", "marginal_share",
        "covered_before", "share_before", "covered_after", "share_after", "synthetic_data",
    ]  # fmt: skip
    assert (chosen["marginal_gain"] > 0).all() and chosen["marginal_gain"].is_monotonic_decreasing
    np.testing.assert_allclose(chosen["covered_before"].iloc[1:], chosen["covered_after"].iloc[:-1])
    np.testing.assert_allclose(
        chosen["covered_after"] - chosen["covered_before"], chosen["marginal_gain"]
    )
    assert chosen["share_after"].iloc[-1] > chosen["share_before"].iloc[0]
    before = float(stdout.split("phủ trước / before: ")[1].split("%")[0])
    assert chosen["share_before"].iloc[0] * 100 == pytest.approx(before, abs=0.05)
    geojson = tmp_path / "chosen.geojson"
    code, stdout, stderr = cli(analysis_url, "candidates", "--k", "3", "--radius-m", "3000",
                               "--out-sites", str(geojson))  # fmt: skip
    assert code == 0, stderr
    features = json.loads(geojson.read_text())["features"]
    assert [f["properties"]["order"] for f in features] == [1, 2, 3]
    assert {f["geometry"]["type"] for f in features} == {"Point"}
    assert features[0]["geometry"]["coordinates"] == pytest.approx(
        [chosen["lon"].iloc[0], chosen["lat"].iloc[0]]
    )
    code, _, stderr = cli(analysis_url, "candidates", "--out-sites", "x.shp")
    assert code == 1 and "--out-sites x.shp: unsupported file type" in stderr


def test_end_excludes_its_day_while_incidents_stats_to_includes_it(cli, analysis_url, records):
    from typer.testing import CliRunner

    from tuquan.cli import app

    # The fixture's incidents happen on 1 March (local time) of 2022, 2023 and 2024.
    code, stdout, stderr = cli(analysis_url, "hotspots", "--start", "2024-01-01",
                               "--end", "2024-03-01")  # fmt: skip
    assert code == 0, stderr
    assert "nothing to analyse" in stdout
    code, stdout, stderr = cli(analysis_url, "hotspots", "--start", "2024-01-01",
                               "--end", "2024-03-02")  # fmt: skip
    assert code == 0, stderr
    assert f'"incidents": {records[1]}' in stdout
    code, stdout, stderr = cli(analysis_url, "incidents", "stats", "--province", "37",
                               "--from", "2024-01-01", "--to", "2024-03-01")  # fmt: skip
    assert code == 0, stderr
    assert f"{records[1]:,} vụ việc / incidents" in stdout
    runner = CliRunner()
    for command in ("hotspots", "candidates"):
        shown = runner.invoke(app, [command, "--help"], env={"COLUMNS": "240"}).output
        assert "incidents of that day are NOT counted" in shown
    shown = runner.invoke(app, ["incidents", "stats", "--help"], env={"COLUMNS": "240"}).output
    assert "incidents of that day are counted" in shown
