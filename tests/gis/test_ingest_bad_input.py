"""Each class of bad input is reported precisely and, in all-or-nothing mode, writes nothing."""

from __future__ import annotations

import json

import pytest

from gis.errors import InputError
from gis.ingest import ImportOptions, import_file
from tests.gis import ingest_fixtures as fx
from tests.gis.ingest_fixtures import DATA, RECORD_TABLES, incidents_by_ref
from tests.helpers import snapshot

ingest_url, records_engine, locator = fx.ingest_url, fx.records_engine, fx.locator


def _seed(engine, locator) -> None:
    """Something already stored, so that 'unchanged' is a real claim."""
    result = import_file(engine, DATA / "sites.csv", "sites", locator=locator)
    assert result.written


# file → (row, column, a phrase of the message) of every error it must report
CASES = {
    "missing_column.csv": [(1, "Loại vụ việc / category", "missing required column")],
    "bad_date.csv": [(3, "Ngày xảy ra", "not a date"), (4, "Ngày xảy ra", "not a date")],
    "unknown_category.csv": [(4, "Loại vụ việc", "unknown")],
    "coordinates_outside.csv": [(2, "Vĩ độ", "outside Vietnam"), (3, "Vĩ độ", "swapped")],
    "ungeocodable.csv": [(4, "Địa chỉ", "address not found")],
    "duplicate_ref.csv": [(5, "Mã vụ việc", "duplicate reference")],
    "extra_cells.csv": [  # an unquoted comma in the address shifts the cells
        (3, "(cells beyond the header)", "more cells than the header"),
        (3, "Kinh độ", "not a number"),
        (3, "Vĩ độ", "not a number"),
    ],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_rows_are_reported_and_nothing_is_written(records_engine, locator, name):
    _seed(records_engine, locator)
    before = snapshot(records_engine, *RECORD_TABLES)
    result = import_file(records_engine, DATA / name, "incidents", locator=locator)
    errors = [p for p in result.problems if p.severity == "error"]
    assert [(p.row, p.column) for p in errors] == [(r, c) for r, c, _ in CASES[name]]
    for problem, (_, _, phrase) in zip(errors, CASES[name], strict=True):
        assert phrase in problem.message
    assert not result.accepted and not result.written and result.batch_id is None
    assert snapshot(records_engine, *RECORD_TABLES) == before


@pytest.mark.parametrize("name", sorted(set(CASES) - {"missing_column.csv"}))
def test_skip_bad_rows_imports_the_good_ones(records_engine, locator, name):
    result = import_file(
        records_engine, DATA / name, "incidents", ImportOptions(skip_bad_rows=True),
        locator=locator,
    )  # fmt: skip
    bad_rows = {r for r, _, _ in CASES[name]}
    assert result.written and result.rows_rejected == len(bad_rows)
    assert result.inserted == result.rows_total - len(bad_rows)
    assert len(incidents_by_ref(records_engine)) == result.inserted
    with records_engine.connect() as conn:
        import sqlalchemy as sa

        stored = conn.execute(
            sa.text("SELECT row_number FROM import_row_error WHERE severity = 'error'")
        ).scalars()
        assert set(stored) == bad_rows


def test_truncated_xlsx_is_refused_with_a_hint(records_engine, locator):
    before = snapshot(records_engine, *RECORD_TABLES)
    with pytest.raises(InputError) as caught:
        import_file(records_engine, DATA / "truncated.xlsx", "incidents", locator=locator)
    assert "truncated or damaged" in caught.value.message
    assert "save it again" in caught.value.hint
    assert snapshot(records_engine, *RECORD_TABLES) == before


def test_unknown_file_type_and_old_excel(records_engine, tmp_path):
    for name, phrase in (("data.xls", "97–2003"), ("data.pdf", "unknown file type")):
        path = tmp_path / name
        path.write_bytes(b"\xd0\xcf\x11\xe0")
        with pytest.raises(InputError, match=phrase):
            import_file(records_engine, path, "incidents")


def test_mapping_rescues_unrecognised_headers(records_engine, locator, tmp_path):
    path = tmp_path / "odd_headers.csv"
    path.write_text(
        "Số hồ sơ,Thời điểm phát hiện,Nhóm hành vi,Nơi phát hiện\n"
        'HS-1,02/01/2024,Trộm cắp,"xã Gia Viễn, tỉnh Ninh Bình"\n',
        encoding="utf-8",
    )
    refused = import_file(records_engine, path, "incidents", locator=locator)
    assert [p.column for p in refused.problems] == [
        "Ngày xảy ra / date", "Loại vụ việc / category", "Địa chỉ / address",
    ]  # fmt: skip
    assert not refused.accepted and refused.rows_total == 0
    mapping = {
        "ref": "Số hồ sơ", "occurred_at": "Thời điểm phát hiện", "category": "Nhóm hành vi",
        "address": "Nơi phát hiện",
    }  # fmt: skip
    result = import_file(
        records_engine, path, "incidents", ImportOptions(mapping=mapping), locator=locator
    )
    assert result.written and result.inserted == 1
    assert incidents_by_ref(records_engine)["HS-1"]["commune_code"] == "14464"
    with pytest.raises(InputError, match="no column"):
        import_file(records_engine, path, "incidents", ImportOptions(mapping={"ref": "Mã"}))
    with pytest.raises(InputError, match="unknown field"):
        import_file(records_engine, path, "incidents", ImportOptions(mapping={"nope": "Mã"}))


def test_report_as_csv_and_json(records_engine, locator, tmp_path):
    result = import_file(records_engine, DATA / "bad_date.csv", "incidents", locator=locator)
    csv_path = result.problems.write(tmp_path / "report.csv", result.summary())
    lines = csv_path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "row,column,value,message,severity"
    assert lines[1].startswith("3,Ngày xảy ra,31/02/2024,")
    json_path = result.problems.write(tmp_path / "report.json", result.summary())
    report = json.loads(json_path.read_text(encoding="utf-8"))
    assert report["summary"]["written"] is False and report["summary"]["rows_rejected"] == 2
    assert [p["value"] for p in report["problems"]] == ["31/02/2024", "hôm qua"]


def test_row_with_far_too_many_cells(records_engine, tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("Mã,Ngày,Loại,Địa chỉ\nA,01/02/2024,Cháy," + ",".join("x" * 12) + "\n")
    with pytest.raises(InputError) as caught:
        import_file(records_engine, path, "incidents")
    assert "unreadable CSV" in caught.value.message and "quotes" in caught.value.hint
