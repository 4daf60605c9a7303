"""Every encoding, delimiter and format officers' files come in imports the same records."""

from __future__ import annotations

import datetime as dt

import pytest

from gis.ingest import ImportOptions, import_file
from gis.ingest.readers import detect_delimiter, detect_encoding
from tests.gis import ingest_fixtures as fx
from tests.gis.ingest_fixtures import DATA, EXPECTED_COMMUNES, incidents_by_ref

ingest_url, records_engine, locator = fx.ingest_url, fx.records_engine, fx.locator

HCM = dt.timezone(dt.timedelta(hours=7))


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter"),
    [
        ("incidents_utf8.csv", "utf-8", ","),
        ("incidents_utf8_bom_semicolon.csv", "utf-8-sig", ";"),
        ("incidents_utf16_tab.txt", "utf-16", "\t"),
        ("incidents_cp1258.csv", "cp1258", ","),
    ],
)
def test_csv_in_every_excel_encoding(records_engine, locator, name, encoding, delimiter):
    result = import_file(records_engine, DATA / name, "incidents", locator=locator)
    assert (result.encoding, result.delimiter) == (encoding, delimiter)
    assert result.written and result.problems.errors == 0, list(result.problems)
    assert (result.rows_total, result.inserted) == (6, 6)
    stored = incidents_by_ref(records_engine)
    assert {ref: r["commune_code"] for ref, r in stored.items()} == EXPECTED_COMMUNES
    # Text is stored in NFC whatever the file's encoding (Windows-1258 decomposes tone marks).
    assert stored["VV-001"]["subcategory"] == "Trộm cắp tài sản"
    assert stored["VV-001"]["category"] == "crime"
    assert stored["VV-001"]["occurred_at"] == dt.datetime(2024, 3, 12, 14, 30, tzinfo=HCM)
    assert stored["VV-005"]["category"] == "social_evils"
    assert stored["VV-001"]["precision"] == "coordinates"
    assert stored["VV-004"]["precision"] == "legacy_commune"
    assert stored["VV-001"]["lon"] == pytest.approx(105.95663)
    # The personal-name column is recognised and never imported.
    assert result.personal_columns == ["Họ tên người báo tin"]


def test_xlsx_with_title_rows_dates_and_serials(records_engine, locator):
    result = import_file(records_engine, DATA / "incidents.xlsx", "incidents", locator=locator)
    assert result.format == "xlsx" and result.written, list(result.problems)
    assert result.inserted == 6
    stored = incidents_by_ref(records_engine)
    assert {ref: r["commune_code"] for ref, r in stored.items()} == EXPECTED_COMMUNES
    assert stored["VV-003"]["occurred_at"] == dt.datetime(2024, 3, 14, 8, 15, tzinfo=HCM)
    # Cell B9 holds the Excel serial 45371.5: 2024-03-20 12:00 local time.
    assert stored["VV-006"]["occurred_at"] == dt.datetime(2024, 3, 20, 12, 0, tzinfo=HCM)


def test_geojson_points_and_a_line(records_engine, locator):
    result = import_file(
        records_engine, DATA / "incidents.geojson", "incidents",
        ImportOptions(skip_bad_rows=True), locator=locator,
    )  # fmt: skip
    assert result.format == "geojson" and result.written
    assert result.columns["ref"] == "ma" and result.columns["address"] == "dia_chi"
    stored = incidents_by_ref(records_engine)
    assert {ref: r["commune_code"] for ref, r in stored.items()} == EXPECTED_COMMUNES
    [problem] = list(result.problems)
    assert (problem.row, problem.column, problem.value) == (7, "geometry", "LineString")


def test_sites_from_csv_and_xlsx_agree(records_engine, locator):
    first = import_file(records_engine, DATA / "sites.csv", "sites", locator=locator)
    assert first.written and first.inserted == 4, list(first.problems)
    again = import_file(records_engine, DATA / "sites.xlsx", "sites", locator=locator)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    from gis.sites import get_site, list_sites

    sites = {s["ref"]: s for s in list_sites(records_engine)}
    assert sites["MH-01"]["kind"] == "commune" and sites["MH-01"]["components"] == [1, 2, 3, 4, 5]
    assert sites["MH-02"]["kind"] == "clan" and sites["MH-02"]["components"] == [1, 2, 5]
    assert sites["MH-03"]["components"] == [1, 2, 3] and sites["MH-03"]["status"] == "suspended"
    assert sites["MH-04"]["status"] == "planned" and sites["MH-04"]["commune_code"] == "14464"
    history = get_site(records_engine, sites["MH-01"]["id"])["history"]
    assert [(h["status"], h["changed_on"]) for h in history] == [
        ("pilot", dt.date(2020, 4, 15)),
        ("replicated", dt.date(2021, 5, 10)),
    ]
    history = get_site(records_engine, sites["MH-03"]["id"])["history"]
    assert [h["status"] for h in history] == ["replicated", "suspended"]


def test_encoding_and_delimiter_detection():
    assert detect_encoding("Mã,Ngày\n".encode()) == "utf-8"
    assert detect_encoding("\ufeffMã".encode()) == "utf-8-sig"
    assert detect_encoding("Mã".encode("utf-16")) == "utf-16"
    assert detect_encoding("Ma,Ngay".encode("utf-16-le")) == "utf-16-le"
    assert detect_encoding("Mã vụ".encode("cp1258", errors="ignore") + b"\xe0\xe2") == "cp1258"
    assert detect_delimiter(["a;b;c", "1;2,5;3"]) == ";"
    assert detect_delimiter(["a\tb", "1\t2"]) == "\t"
    assert detect_delimiter(["a,b,c", "1,2,3"]) == ","


def _feature(props: dict, lon: float | None = None, lat: float | None = None) -> dict:
    point = None if lon is None else {"type": "Point", "coordinates": [lon, lat]}
    return {"type": "Feature", "geometry": point, "properties": props}


def test_sites_from_geojson(records_engine, locator, tmp_path):
    import json

    from gis.sites import list_sites

    path = tmp_path / "mo_hinh.geojson"
    features = [
        _feature({"ma": "MH-01", "ten": "Mô hình phường Hoa Lư", "loai": "Xã, phường",
                  "noi_dung": "Tất cả", "trang_thai": "Nhân rộng", "ngay_bat_dau": "15/04/2020",
                  "dia_chi": "Phường Hoa Lư, tỉnh Ninh Bình"}, 105.95663, 20.26707),
        _feature({"ma": "MH-02", "ten": "Dòng họ Đinh tự quản", "loai": "Dòng họ",
                  "noi_dung": "1, 2, 5", "trang_thai": "Thí điểm", "ngay_bat_dau": "01/06/2022",
                  "dia_chi": "xã Gia Viễn, tỉnh Ninh Bình"}),  # no geometry: geocoded
        _feature({"ma": "MH-03", "ten": "Thôn Đông tự quản", "loai": "Thôn, tổ dân phố",
                  "noi_dung": "", "trang_thai": "Nhân rộng", "ngay_bat_dau": "01/01/2023",
                  "dia_chi": ""}, 106.1229, 20.10468),
    ]  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    result = import_file(records_engine, path, "sites", locator=locator)
    assert result.format == "geojson" and result.written, list(result.problems)
    assert (result.rows_total, result.inserted) == (3, 3)
    assert result.columns["ref"] == "ma" and result.columns["components"] == "noi_dung"
    sites = {s["ref"]: s for s in list_sites(records_engine)}
    assert {ref: s["commune_code"] for ref, s in sites.items()} == {
        "MH-01": "14329", "MH-02": "14464", "MH-03": "14638",
    }  # fmt: skip
    assert sites["MH-01"]["kind"] == "commune" and sites["MH-01"]["status"] == "replicated"
    assert sites["MH-02"]["kind"] == "clan" and sites["MH-02"]["components"] == [1, 2, 5]
    assert sites["MH-02"]["status"] == "pilot"
    assert sites["MH-03"]["kind"] == "village"
    # An empty components cell keeps the "5 tự quản" default and says so, on its feature.
    assert sites["MH-03"]["components"] == [1, 2, 3, 4, 5]
    [warning] = list(result.problems)
    assert (warning.row, warning.column, warning.severity) == (3, "noi_dung", "warning")
    assert "all five components" in warning.message
    again = import_file(records_engine, path, "sites", locator=locator)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)


def test_sites_without_components_column_get_all_five_and_the_report_says_so(
    records_engine, locator, tmp_path
):
    from gis.sites import list_sites

    path = tmp_path / "mo_hinh.csv"
    path.write_text(
        "Mã mô hình,Tên mô hình,Loại mô hình,Địa chỉ\n"
        'MH-01,Mô hình xã Gia Viễn,"Xã, phường","xã Gia Viễn, tỉnh Ninh Bình"\n'
        'MH-02,Dòng họ Phạm tự quản,Dòng họ,"xã Kim Sơn, tỉnh Ninh Bình"\n',
        encoding="utf-8",
    )
    result = import_file(records_engine, path, "sites", locator=locator)
    assert result.written and result.inserted == 2
    assert [s["components"] for s in list_sites(records_engine)] == [[1, 2, 3, 4, 5]] * 2
    # Once per file, on the header row, not once per row.
    [warning] = list(result.problems)
    assert (warning.row, warning.column, warning.severity) == (
        1, "Nội dung tự quản / components", "warning",
    )  # fmt: skip
    assert "no components column" in warning.message and "all five" in warning.message
    report = result.problems.write(tmp_path / "loi.csv", result.summary())
    assert "no components column" in report.read_text(encoding="utf-8-sig")
    # With the column and every cell filled: no warning.
    filled = tmp_path / "mo_hinh_day_du.csv"
    filled.write_text(
        "Mã mô hình,Tên mô hình,Loại mô hình,Nội dung tự quản,Địa chỉ\n"
        'MH-01,Mô hình xã Gia Viễn,"Xã, phường","1, 4","xã Gia Viễn, tỉnh Ninh Bình"\n',
        encoding="utf-8",
    )
    result = import_file(records_engine, filled, "sites", locator=locator)
    assert result.updated == 1 and list(result.problems) == []
