"""Uploads to the import path: a good file, a bad one (422 with the row report), dry runs,
size limits (413), scope, and the upload's name never used as a path."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from gis import audit
from tests.helpers import count, snapshot

DATA = Path(__file__).resolve().parents[2] / "data" / "ingest"
TABLES = ("incident", "site", "import_batch", "import_row_error", "audit_log")


@pytest.fixture
def clean(write_setup):
    """No incidents or batches of an earlier test (sites and the audit log stay)."""
    with write_setup.engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE incident, import_batch, import_row_error CASCADE"))
    return write_setup


def _upload(client, name: str, content: bytes, kind: str = "incidents", **form):
    files = {"file": (name, content, "text/csv")}
    return client.post(f"/imports/{kind}", files=files, data=form)


def test_good_file_is_imported_and_reported(write_clients, clean):
    engine = clean.engine
    r = _upload(
        write_clients["officer37"], "vu_viec.csv", (DATA / "incidents_utf8.csv").read_bytes()
    )
    assert r.status_code == 201, r.text
    report = r.json()
    summary = report["summary"]
    assert summary["written"] and summary["file"] == "vu_viec.csv"
    assert summary["inserted"] == count(engine, "SELECT count(*) FROM incident") == 6
    assert "Họ tên người báo tin" in summary["ignored_columns"]
    batch_id = summary["batch_id"]
    back = write_clients["officer37"].get(f"/imports/{batch_id}").json()
    assert (
        back["batch"]["file_name"] == "vu_viec.csv" and back["batch"]["imported_by"] == "officer_nb"
    )
    assert back["problems_total"] == len(back["problems"]) == report["problems_total"]
    assert write_clients["admin"].get(f"/imports/{batch_id}").status_code == 200
    assert write_clients["officer01"].get(f"/imports/{batch_id}").status_code == 404
    assert write_clients["viewer"].get(f"/imports/{batch_id}").status_code == 403
    logged = [
        e for e in audit.entries(engine, entity="incidents") if e["entity_id"] == str(batch_id)
    ]
    assert len(logged) == 1 and logged[0]["action"] == "import"
    assert logged[0]["token_id"] == clean.token_ids["officer37"]
    assert logged[0]["after"]["inserted"] == 6


def test_bad_file_is_refused_with_the_row_report(write_clients, clean):
    before = snapshot(clean.engine, *TABLES)
    r = _upload(write_clients["officer37"], "bad.csv", (DATA / "bad_date.csv").read_bytes())
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert "nothing was imported" in body["detail"] and body["summary"]["written"] is False
    rows = {(p["row"], p["column"]) for p in body["problems"] if p["severity"] == "error"}
    assert (3, "Ngày xảy ra") in rows and (4, "Ngày xảy ra") in rows
    assert any(p["value"] == "31/02/2024" for p in body["problems"])
    assert snapshot(clean.engine, *TABLES) == before
    skipped = _upload(write_clients["officer37"], "bad.csv", (DATA / "bad_date.csv").read_bytes(),
                      skip_bad_rows="true")  # fmt: skip
    assert skipped.status_code == 201 and skipped.json()["summary"]["rows_rejected"] == 2


def test_dry_run_writes_nothing(write_clients, clean):
    before = snapshot(clean.engine, *TABLES)
    content = (DATA / "incidents_utf8.csv").read_bytes()
    r = _upload(write_clients["officer37"], "vu_viec.csv", content, dry_run="true")
    assert r.status_code == 200 and r.json()["summary"]["inserted"] == 6
    assert r.json()["summary"]["written"] is False and r.json()["summary"]["batch_id"] is None
    assert snapshot(clean.engine, *TABLES) == before


def test_rows_outside_the_scope_are_rejected(write_clients, clean):
    before = snapshot(clean.engine, *TABLES)
    content = (DATA / "incidents_utf8.csv").read_bytes()
    r = _upload(write_clients["officer01"], "nb.csv", content)
    assert r.status_code == 422
    outside = [p for p in r.json()["problems"] if "outside your scope" in p["message"]]
    assert len(outside) == 6
    assert snapshot(clean.engine, *TABLES) == before


def test_mapping_names_an_unusual_header(write_clients, clean):
    content = (
        "Số hồ sơ,Thời điểm phát hiện,Nhóm,Vĩ độ,Kinh độ\n"
        "HS-1,12/03/2024,Trộm cắp,20.26707,105.95663\n"
    )
    plain = _upload(write_clients["officer37"], "x.csv", content.encode(), dry_run="true")
    assert plain.status_code == 422
    mapped = _upload(
        write_clients["officer37"], "x.csv", content.encode(), dry_run="true",
        mapping='{"occurred_at": "Thời điểm phát hiện", "category": "Nhóm", "ref": "Số hồ sơ"}',
    )  # fmt: skip
    assert mapped.status_code == 200, mapped.text
    assert mapped.json()["summary"]["columns"]["occurred_at"] == "Thời điểm phát hiện"
    lines = _upload(write_clients["officer37"], "x.csv", content.encode(), dry_run="true",
                    mapping="occurred_at=Thời điểm phát hiện\ncategory=Nhóm")  # fmt: skip
    assert lines.status_code == 200
    path = _upload(write_clients["officer37"], "x.csv", content.encode(), mapping="/etc/passwd")
    assert path.status_code == 422 and "field=Header" in path.json()["detail"]


def test_the_upload_name_is_never_a_path(write_clients, clean, tmp_path):
    r = _upload(write_clients["officer37"], "../../../../tmp/../etc/vu viec.csv",
                (DATA / "incidents_utf8.csv").read_bytes())  # fmt: skip
    assert r.status_code == 201 and r.json()["summary"]["file"] == "vu viec.csv"
    assert not Path("/etc/vu viec.csv").exists()
    r = _upload(write_clients["officer37"], "payload.exe", b"MZ\x90\x00")
    assert r.status_code == 422 and "unknown file type" in r.json()["detail"]


def test_oversize_uploads_get_413(write_setup, tmp_path, clean):
    settings = write_setup.settings.model_copy(update={"max_upload_mb": 0.001})  # 1,000 bytes
    app = create_app(settings, engine=write_setup.engine)
    before = snapshot(write_setup.engine, *TABLES)
    token = write_setup.tokens["officer37"]
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        # over the file limit, under the body limit: refused while copying
        r = _upload(client, "big.csv", b"a,b\n" + b"1,2\n" * 2000)
        assert r.status_code == 413 and r.json()["title"].startswith("Tệp quá lớn")
        # far over: refused from Content-Length before the body is read
        r = _upload(client, "huge.csv", b"x" * 3_000_000)
        assert r.status_code == 413
        # a chunked body with no length is counted as it arrives
        chunks = (b"x" * 65536 for _ in range(40))
        r = client.post("/imports/incidents", content=chunks,
                        headers={"content-type": "multipart/form-data; boundary=zz"})  # fmt: skip
        assert r.status_code == 413
    assert snapshot(write_setup.engine, *TABLES) == before
