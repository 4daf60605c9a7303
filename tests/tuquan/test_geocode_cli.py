"""`tuquan geocode`: one address, a CSV column with progress, clear errors."""

from __future__ import annotations

import csv

import pytest

from gis.boundaries import fetch_boundaries
from gis.database import make_engine
from gis.settings import Settings


@pytest.fixture(scope="module")
def geo_url(make_test_database, boundary_mirror, tmp_path_factory):
    url = make_test_database("geocode_cli")
    engine = make_engine(url)
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        home=tmp_path_factory.mktemp("geocode-cli-home"),
    )
    fetch_boundaries(engine, settings, "37", source=str(boundary_mirror))
    engine.dispose()
    return url


def test_one_address_reads_as_a_result(cli, geo_url):
    code, out, err = cli(geo_url, "geocode", "thôn 3, xã Ninh Hải, huyện Hoa Lư, tỉnh Ninh Bình")
    assert code == 0, err
    assert "matched" in out and "Phường Nam Hoa Lư (14359)" in out
    assert "Xã Ninh Hải, Thành phố Hoa Lư, Tỉnh Ninh Bình" in out
    code, out, _ = cli(geo_url, "geocode", "Phường Ba Đình, Hà Nội")
    assert code == 0 and "unmatched" in out and "--province 01" in out


def test_csv_in_csv_out(cli, geo_url, tmp_path):
    source = tmp_path / "sites.csv"
    source.write_text(
        'id,dia_chi\n1,"P. Phủ Lý, Ninh Binh"\n2,"20.25, 105.97"\n3,\n4,!!!\n',
        encoding="utf-8-sig",
    )
    out_path = tmp_path / "out.csv"
    code, out, err = cli(
        geo_url, "geocode", str(source), "--column", "dia_chi", "--out", str(out_path)
    )
    assert code == 0, err
    assert "4 rows" in out and "geocoding" in err  # the progress bar is on stderr
    with open(out_path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"]
    assert [r["status"] for r in rows] == ["matched", "matched", "invalid", "invalid"]
    assert rows[0]["commune_code"] == "13285" and rows[1]["precision"] == "coordinates"
    assert rows[2]["reason"]


def test_csv_errors_are_messages_not_tracebacks(cli, geo_url, tmp_path):
    source = tmp_path / "sites.csv"
    source.write_text("id,address\n1,x\n", encoding="utf-8")
    code, _, err = cli(geo_url, "geocode", str(source), "--column", "dia_chi")
    assert code == 1 and "no column 'dia_chi'" in err and "Traceback" not in err
    code, _, err = cli(geo_url, "geocode", str(tmp_path / "missing.csv"))
    assert code == 1 and "no such file" in err
