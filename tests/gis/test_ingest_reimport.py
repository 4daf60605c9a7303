"""Re-imports update by reference and never duplicate; dry runs write nothing."""

from __future__ import annotations

import sqlalchemy as sa

from gis.ingest import ImportOptions, import_file
from tests.gis import ingest_fixtures as fx
from tests.gis.ingest_fixtures import DATA, RECORD_TABLES, incidents_by_ref, write_incident_csv
from tests.helpers import count, snapshot

ingest_url, records_engine, locator = fx.ingest_url, fx.records_engine, fx.locator


def test_same_file_twice_changes_nothing(records_engine, locator, tmp_path):
    path = write_incident_csv(records_engine, tmp_path / "g.csv", 2_000)
    first = import_file(records_engine, path, "incidents", locator=locator)
    assert (first.inserted, first.updated, first.unchanged) == (2_000, 0, 0)
    incidents = snapshot(records_engine, "incident")
    second = import_file(records_engine, path, "incidents", locator=locator)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 2_000)
    assert snapshot(records_engine, "incident") == incidents
    assert count(records_engine, "SELECT count(*) FROM import_batch") == 2


def test_updated_file_updates_by_reference(records_engine, locator, tmp_path):
    import_file(records_engine, DATA / "incidents_utf8.csv", "incidents", locator=locator)
    text = (DATA / "incidents_utf8.csv").read_text(encoding="utf-8")
    text = text.replace("Tai nạn giao thông", "Gây rối trật tự công cộng")  # VV-002 corrected
    text += 'VV-010,18/03/2024,Lừa đảo,"xã Yên Mô, tỉnh Ninh Bình",,,\r\n'
    updated = tmp_path / "incidents_v2.csv"  # another name: the reference decides, not the file
    updated.write_text(text, encoding="utf-8")
    result = import_file(records_engine, updated, "incidents", locator=locator)
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 5)
    stored = incidents_by_ref(records_engine)
    assert len(stored) == 7
    assert stored["VV-002"]["subcategory"] == "Gây rối trật tự công cộng"
    assert count(records_engine, "SELECT count(*) FROM incident WHERE external_ref = 'VV-002'") == 1


def test_references_are_unique_per_source(records_engine, locator):
    for source in ("cong-an-tinh", "cong-an-xa"):
        options = ImportOptions(source=source)
        import_file(
            records_engine, DATA / "incidents_utf8.csv", "incidents", options, locator=locator
        )
    assert count(records_engine, "SELECT count(*) FROM incident") == 12
    assert count(records_engine, "SELECT count(DISTINCT source) FROM incident") == 2


def test_files_without_references_are_still_idempotent(records_engine, locator, tmp_path):
    path = tmp_path / "no_refs.csv"
    path.write_text(
        'Ngày,Loại,Địa chỉ\n12/03/2024,Trộm cắp,"xã Gia Viễn, tỉnh Ninh Bình"\n'
        '12/03/2024,Trộm cắp,"phường Hoa Lư, tỉnh Ninh Bình"\n',
        encoding="utf-8",
    )
    first = import_file(records_engine, path, "incidents", locator=locator)
    assert first.inserted == 2
    again = import_file(records_engine, path, "incidents", locator=locator)
    assert (again.inserted, again.unchanged) == (0, 2)
    refs = incidents_by_ref(records_engine)
    assert all(ref.startswith("auto:") for ref in refs)
    # ...but a corrected row is another row: the report warns once, on the header row.
    for result in (first, again):
        [warning] = list(result.problems)
        assert (warning.row, warning.column, warning.severity) == (
            1, "Mã vụ việc / reference", "warning",
        )  # fmt: skip
        assert "re-importing a corrected file will add new rows" in warning.message
        assert "'Mã vụ việc'/'ref' column" in warning.message
    corrected = tmp_path / "no_refs_v2.csv"
    corrected.write_text(
        path.read_text(encoding="utf-8").replace("Trộm cắp", "Cướp giật", 1), "utf-8"
    )
    assert import_file(records_engine, corrected, "incidents", locator=locator).inserted == 1
    assert count(records_engine, "SELECT count(*) FROM incident") == 3


def test_no_reference_warning_for_sites_and_none_with_a_reference(
    records_engine, locator, tmp_path
):
    path = tmp_path / "sites_no_ref.csv"
    path.write_text(
        "Tên mô hình,Loại mô hình,Nội dung tự quản,Địa chỉ\n"
        'Mô hình xã Gia Viễn,"Xã, phường",Tất cả,"xã Gia Viễn, tỉnh Ninh Bình"\n',
        encoding="utf-8",
    )
    result = import_file(records_engine, path, "sites", locator=locator)
    assert result.written and result.inserted == 1
    [warning] = list(result.problems)
    assert warning.column == "Mã mô hình / reference" and warning.severity == "warning"
    assert "'Mã mô hình'/'ref' column" in warning.message
    with_refs = import_file(
        records_engine, DATA / "incidents_utf8.csv", "incidents", locator=locator
    )
    assert not [p for p in with_refs.problems if "no reference column" in p.message]


def test_dry_run_counts_but_writes_nothing(records_engine, locator):
    import_file(records_engine, DATA / "incidents_utf8.csv", "incidents", locator=locator)
    before = snapshot(records_engine, *RECORD_TABLES)
    result = import_file(
        records_engine, DATA / "incidents.xlsx", "incidents", ImportOptions(dry_run=True),
        locator=locator,
    )  # fmt: skip
    # Same references: the XLSX changes VV-006's time only (an Excel serial date).
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 5)
    assert result.dry_run and not result.written and result.batch_id is None
    assert snapshot(records_engine, *RECORD_TABLES) == before


def test_site_reimport_records_status_changes(records_engine, locator, tmp_path):
    import_file(records_engine, DATA / "sites.csv", "sites", locator=locator)
    text = (DATA / "sites.csv").read_text(encoding="utf-8")
    text = text.replace(
        'Dòng họ,"1, 2, 5",Nhân rộng,,01/06/2022,',
        'Dòng họ,"1, 2, 5",Tạm dừng,,01/06/2022,01/02/2024',
    )
    changed = tmp_path / "sites_v2.csv"
    changed.write_text(text, encoding="utf-8")
    result = import_file(records_engine, changed, "sites", locator=locator)
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 3)
    with records_engine.connect() as conn:
        history = conn.execute(
            sa.text(
                "SELECT h.status, h.changed_on::text FROM site_status_history h "
                "JOIN site s ON s.id = h.site_id WHERE s.ref = 'MH-02' ORDER BY h.changed_on"
            )
        ).all()
    assert [tuple(h) for h in history] == [
        ("replicated", "2022-06-01"),
        ("suspended", "2024-02-01"),
    ]
