"""`tuquan import`, `sites list`, `incidents stats`, `demo-data`: summaries, exit codes, reports."""

from __future__ import annotations

import json

from tests.gis import ingest_fixtures as fx
from tests.gis.ingest_fixtures import DATA, RECORD_TABLES
from tests.helpers import count, snapshot

ingest_url, records_engine = fx.ingest_url, fx.records_engine


def test_import_summary_report_and_exit_codes(cli, ingest_url, records_engine, tmp_path):
    report = tmp_path / "report.json"
    before = snapshot(records_engine, *RECORD_TABLES)
    code, out, err = cli(ingest_url, "import", "incidents", str(DATA / "bad_date.csv"),
                         "--report", str(report))  # fmt: skip
    assert code == 1
    assert "nothing was imported" in err and "--skip-bad-rows" in err
    assert "31/02/2024" in out and "Traceback" not in err
    assert json.loads(report.read_text(encoding="utf-8"))["summary"]["rows_rejected"] == 2
    assert snapshot(records_engine, *RECORD_TABLES) == before

    code, out, _ = cli(ingest_url, "import", "incidents", str(DATA / "bad_date.csv"),
                       "--skip-bad-rows", "--source", "xa-gia-vien")  # fmt: skip
    assert code == 0 and "imported" in out
    assert count(records_engine, "SELECT count(*) FROM incident WHERE source = 'xa-gia-vien'") == 2
    code, out, _ = cli(ingest_url, "import", "incidents", str(DATA / "incidents_utf8.csv"),
                       "--dry-run")  # fmt: skip
    assert code == 0 and "dry run" in out
    assert count(records_engine, "SELECT count(*) FROM incident") == 2
    assert "personal data" in out and "Họ tên người báo tin" in out


def test_mapping_option_and_missing_file(cli, ingest_url, records_engine, tmp_path):
    path = tmp_path / "odd.csv"
    rows = 'Số hồ sơ,Thời điểm,Nhóm,Nơi xảy ra\nA-1,01/02/2024,Cháy,"xã Yên Mô, tỉnh Ninh Bình"\n'
    path.write_text(rows, encoding="utf-8")
    code, _, err = cli(ingest_url, "import", "incidents", str(path))
    assert code == 1 and "missing required column" in err + _
    mapping = ["--mapping", "occurred_at=Thời điểm", "--mapping", "ref=Số hồ sơ"]
    code, _, err = cli(ingest_url, "import", "incidents", str(path), *mapping)
    assert code == 0, err
    assert count(records_engine, "SELECT count(*) FROM incident WHERE external_ref = 'A-1'") == 1
    code, _, err = cli(ingest_url, "import", "incidents", str(tmp_path / "nope.csv"))
    assert code == 1 and "no such file" in err
    code, _, err = cli(ingest_url, "import", "incidents", str(path), "--mapping", "oops")
    assert code == 1 and "field=Header" in err


def test_sites_list_and_incident_stats(cli, ingest_url, records_engine):
    assert cli(ingest_url, "import", "sites", str(DATA / "sites.xlsx"))[0] == 0
    assert cli(ingest_url, "import", "incidents", str(DATA / "incidents.xlsx"))[0] == 0
    code, out, _ = cli(ingest_url, "sites", "list", "--province", "37")
    assert code == 0 and "Dòng họ Đinh tự quản" in out and "4 of 4 site(s)" in out
    code, out, _ = cli(ingest_url, "sites", "list", "--status", "tạm dừng")
    assert code == 0 and "Giáo xứ Phát Diệm" in out and "1 of 4" in out
    code, out, _ = cli(ingest_url, "incidents", "stats", "--province", "37")
    assert code == 0 and "6 vụ việc" in out and "Nam Định" in out
    code, _, err = cli(ingest_url, "incidents", "stats", "--from", "12/03/2024")
    assert code == 1 and "yyyy-mm-dd" in err


def test_demo_data_command(cli, ingest_url, tmp_path):
    code, _, err = cli(ingest_url, "demo-data", "--province", "37", "--out", str(tmp_path),
                         "--incidents", "500")  # fmt: skip
    assert code == 0, err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["README.txt", "demo_incidents_2020_2022.csv", "demo_incidents_2023_2025.xlsx",
                     "demo_sites.xlsx"]  # fmt: skip
    assert "SYNTHETIC" in (tmp_path / "README.txt").read_text(encoding="utf-8")
    code, _, err = cli(ingest_url, "demo-data", "--province", "01", "--out", str(tmp_path))
    assert code == 1 and "tuquan boundaries fetch --province 01" in err
