"""The demo generator: deterministic, shaped like the rollout, importable as officers' files."""

from __future__ import annotations

import hashlib

import numpy as np
import openpyxl
import pytest
import sqlalchemy as sa

from gis.demo_area import load_area
from gis.demo_data import write_demo_files
from gis.demo_incidents import SHARES, incidents
from gis.demo_sites import rollout
from gis.ingest import ImportOptions, import_file
from tests.gis import ingest_fixtures as fx
from tests.helpers import count

ingest_url, records_engine, locator = fx.ingest_url, fx.records_engine, fx.locator


def _cells(path) -> str:
    """A digest of what a workbook or CSV holds (XLSX zips carry save times)."""
    if path.suffix == ".csv":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    book = openpyxl.load_workbook(path, read_only=True)
    rows = [repr(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


@pytest.fixture(scope="module")
def demo_files(ingest_url, tmp_path_factory):
    from gis.database import make_engine

    engine = make_engine(ingest_url)
    first = write_demo_files(engine, "37", tmp_path_factory.mktemp("a"), seed=7, incidents=3_000)
    again = write_demo_files(engine, "37", tmp_path_factory.mktemp("b"), seed=7, incidents=3_000)
    other = write_demo_files(engine, "37", tmp_path_factory.mktemp("c"), seed=8, incidents=3_000)
    engine.dispose()
    return first, again, other


def test_same_seed_same_files(demo_files):
    first, again, other = demo_files
    assert {k: _cells(p) for k, p in first.items()} == {k: _cells(p) for k, p in again.items()}
    assert _cells(first["incidents_csv"]) != _cells(other["incidents_csv"])


def test_rollout_follows_the_former_districts(records_engine):
    area = load_area(records_engine, "37")
    sites = rollout(area, np.random.default_rng(1))
    pilots = sites[sites["is_pilot"]]
    # One pilot per former district of Ninh Bình, Nam Định and Hà Nam (22), all in 2020.
    assert len(pilots) == area.wards["district_code"].nunique() == 22
    assert {d.year for d in pilots["started_on"]} == {2020}
    waves = sites[~sites["is_pilot"] & sites["started_on"].notna()]
    assert sorted({d.year for d in waves["started_on"]}) == [2021, 2022, 2023, 2024, 2025]
    assert set(sites["kind"]) == {"commune", "village", "clan", "religious", "organisation"}
    # Replication spreads mostly next door: most new communes touch an earlier covered one.
    covered = set(pilots["commune_pos"])
    adjacent = new = 0
    for row in waves.sort_values("started_on").itertuples():
        if row.commune_pos not in covered:
            new += 1
            adjacent += bool(covered & set(area.neighbours[row.commune_pos]))
            covered.add(row.commune_pos)
    assert new > 30 and adjacent / new > 0.6


def test_incident_categories_differ_by_area(records_engine):
    area = load_area(records_engine, "37")
    frame = incidents(area, 20_000, np.random.default_rng(3))
    assert 19_000 < len(frame) <= 20_000
    shares = frame.groupby("area_kind")["category"].value_counts(normalize=True)
    assert shares["road"]["public_order"] > 0.75  # traffic along the corridors
    assert shares["rural"]["social_evils"] > shares["urban"]["social_evils"]
    assert abs(shares["urban"]["crime"] - SHARES["urban"][0]) < 0.03
    assert frame["occurred_local"].dt.year.between(2020, 2025).all()


def test_demo_files_import_through_the_user_path(records_engine, locator, demo_files):
    files = demo_files[0]
    skip = ImportOptions(skip_bad_rows=True, source="demo")
    sites = import_file(records_engine, files["sites"], "sites", skip, locator=locator)
    assert sites.written and sites.rows_rejected >= 3
    assert "Người phụ trách" in sites.personal_columns
    problems = []
    for key in ("incidents_csv", "incidents_xlsx"):
        result = import_file(records_engine, files[key], "incidents", skip, locator=locator)
        assert result.written and result.inserted > 0.95 * result.rows_total
        assert result.personal_columns == ["Người báo tin"]
        problems += [p.message for p in result.problems if p.severity == "error"]
    for phrase in ("not a date", "outside Vietnam", "swapped", "no address and no coordinates",
                   "address not found", "duplicate reference"):  # fmt: skip
        assert any(phrase in m for m in problems), phrase
    assert count(records_engine, "SELECT count(*) FROM incident WHERE NOT is_synthetic") == 0
    assert count(records_engine, "SELECT count(*) FROM site WHERE NOT is_synthetic") == 0
    with records_engine.connect() as conn:
        batches = conn.execute(sa.text("SELECT bool_and(is_synthetic) FROM import_batch")).scalar()
    assert batches is True
