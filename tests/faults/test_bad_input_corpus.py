"""The bad-input corpus (tests/data/bad/, plus big or hostile files made here): each file goes
to the entry point that takes it (CLI import, API upload, boundaries load) and gets a clear
error, never a traceback, and the database stays exactly as it was."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from gis import auth
from gis.boundaries import fetch_boundaries
from gis.database import make_engine
from gis.ingest import import_file
from gis.settings import Settings
from tests.helpers import snapshot

BAD = Path(__file__).resolve().parent.parent / "data" / "bad"
INGEST = Path(__file__).resolve().parent.parent / "data" / "ingest"
# Every table the import path writes. The geocode cache is left out on purpose: addresses
# of a refused file are still geocoded, and their answers kept per text (a cache, not data).
TABLES = (
    "admin_unit", "boundary_source", "site", "site_status_history", "incident", "import_batch",
    "import_row_error", "data_change",
)  # fmt: skip
PASSWORD = "mật khẩu thử nghiệm đủ dài"


# -- files made at test time (too big, or a bomb, to commit) -----------------------------------
def _huge_field(folder: Path) -> Path:
    path = folder / "huge_field.csv"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("Mã vụ việc,Ngày xảy ra,Loại vụ việc,Địa chỉ,Vĩ độ,Kinh độ\n")
        fh.write('VV-1,12/03/2024,Trộm cắp,"' + "thôn Đông " * 800_000 + '",,\n')  # 8 MB cell
    return path


def _xlsx_with(folder: Path, name: str, parts: dict[str, bytes]) -> Path:
    """A workbook of openpyxl's with some parts replaced."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["x"])
    book.active.append(["y"])  # openpyxl then writes a sharedStrings part to replace
    plain = io.BytesIO()
    book.save(plain)
    path = folder / name
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            if item.filename not in parts:
                out.writestr(item, src.read(item.filename))
        for part, data in parts.items():
            out.writestr(part, data)
    return path


HEADER = ("Mã vụ việc", "Ngày xảy ra", "Loại vụ việc", "Vĩ độ", "Kinh độ")


def _cell(ref: str, value: str) -> bytes:
    if value.startswith("#"):  # a shared string, by index
        return f'<c r="{ref}" t="s"><v>{value[1:]}</v></c>'.encode()
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'.encode()


def _row(values: tuple[str, ...], number: int) -> bytes:
    cells = b"".join(_cell(f"{c}{number}", v) for c, v in zip("ABCDE", values, strict=True))
    return f'<row r="{number}">'.encode() + cells + b"</row>"


def _sheet(*rows: bytes) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
        b'.org/spreadsheetml/2006/main"><sheetData>' + b"".join(rows) + b"</sheetData></worksheet>"
    )


def _zip_bomb(folder: Path) -> Path:
    """An XLSX whose sheet inflates ~1,000 times: a header, then 200 MB of the same row."""
    row = _row(("VV-1", "12/03/2024", "Trộm cắp", "20.26", "105.95"), 2)  # the same row
    sheet = _sheet(_row(HEADER, 1), row * (200_000_000 // len(row)))
    return _xlsx_with(folder, "zip_bomb.xlsx", {"xl/worksheets/sheet1.xml": sheet})


def _billion_laughs(folder: Path) -> Path:
    """Nested XML entities in the shared strings (a few bytes that expand to gigabytes),
    read by a data row's category."""
    entities = '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    strings = (
        f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]><sst xmlns="http://schemas.'
        'openxmlformats.org/spreadsheetml/2006/main"><si><t>&l9;</t></si></sst>'
    ).encode()
    sheet = _sheet(_row(HEADER, 1), _row(("VV-1", "12/03/2024", "#0", "20.26", "105.95"), 2))
    parts = {"xl/sharedStrings.xml": strings, "xl/worksheets/sheet1.xml": sheet}
    return _xlsx_with(folder, "billion_laughs.xlsx", parts)


def _empty_sheet(folder: Path) -> Path:
    import openpyxl

    path = folder / "empty_sheet.xlsx"
    openpyxl.Workbook().save(path)
    return path


def _truncated_xlsx(folder: Path) -> Path:
    return INGEST / "truncated.xlsx"


MADE: dict[str, Callable[[Path], Path]] = {
    "huge_field.csv": _huge_field,
    "zip_bomb.xlsx": _zip_bomb,
    "billion_laughs.xlsx": _billion_laughs,
    "empty_sheet.xlsx": _empty_sheet,
    "truncated.xlsx": _truncated_xlsx,
}
IMPORT_FILES = sorted(
    [p.name for p in BAD.iterdir() if not p.name.startswith("boundary_")] + list(MADE)
)
BOUNDARY_FILES = sorted(p.name for p in BAD.iterdir() if p.name.startswith("boundary_"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Callable[[str], Path]:
    folder = tmp_path_factory.mktemp("bad-made")
    made: dict[str, Path] = {}

    def path_of(name: str) -> Path:
        if name in MADE:
            if name not in made:
                made[name] = MADE[name](folder)
            return made[name]
        return BAD / name

    return path_of


@pytest.fixture(scope="module")
def corpus_url(make_test_database, boundary_mirror, tmp_path_factory):
    """Ninh Bình, an officer of province 37, and records already stored (so that
    "unchanged" is a real claim)."""
    url = make_test_database("bad_corpus")
    engine = make_engine(url)
    local = Settings(database_url=url.render_as_string(hide_password=False),
                     home=tmp_path_factory.mktemp("bad-home"))  # fmt: skip
    fetch_boundaries(engine, local, "37", source=str(boundary_mirror))
    for name, kind in (("sites.csv", "sites"), ("incidents_utf8.csv", "incidents")):
        assert import_file(engine, INGEST / name, kind).written
    auth.add_user(engine, "officer37", PASSWORD, "officer", scope=["37"])
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def corpus_engine(corpus_url):
    engine = make_engine(corpus_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def officer_client(corpus_url, corpus_engine, tmp_path_factory):
    settings = Settings(database_url=corpus_url.render_as_string(hide_password=False),
                        home=tmp_path_factory.mktemp("bad-app-home"))  # fmt: skip
    token = auth.issue_token(corpus_engine, "officer37")[0]
    app = create_app(settings, engine=corpus_engine)
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def _clear(code: int, err: str) -> None:
    assert code == 1, err
    assert "Lỗi / error" in err, err
    assert "Traceback" not in err, err
    print(" ".join(err.split())[:300])  # shown with -s: the messages are for people


# What the message must be about, where one phrase says it (others: the row report).
PHRASES = {
    "zip_bomb.xlsx": "zip bomb",
    "nul_bytes.csv": "NUL character",
    "unclosed_quote.csv": "never closed",
    "empty.csv": "empty",
    "blank_lines.csv": "empty",
    "empty_sheet.xlsx": "empty",
    "not_a_zip.xlsx": "not a readable XLSX",
    "truncated.xlsx": "not a readable XLSX",
    "billion_laughs.xlsx": "damaged",
    "utf16_odd_length.csv": "not utf-16",
    "not_json.geojson": "not a readable GeoJSON",
    "binary_garbage.csv": "columns needed are missing",
    "injection.csv": "bad row(s)",
    "dates_out_of_range.csv": "6 bad row(s)",
    "coordinates_out_of_range.csv": "7 bad row(s)",
}


# The corpus files are incident-shaped: as sites, a file broken as a whole (container, size,
# encoding of the header) must be refused for the same reason; one whose damage lies past
# its header is refused first for its missing site columns.
SITE_PHRASES = {
    **PHRASES,
    "nul_bytes.csv": "columns needed are missing",
    "unclosed_quote.csv": "columns needed are missing",
    "utf16_odd_length.csv": "columns needed are missing",
    "injection.csv": "columns needed are missing",
    "dates_out_of_range.csv": "columns needed are missing",
    "coordinates_out_of_range.csv": "columns needed are missing",
}
KINDS = ("incidents", "sites")


def _phrase(kind: str, name: str) -> str:
    return (PHRASES if kind == "incidents" else SITE_PHRASES).get(name, "")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", IMPORT_FILES)
def test_cli_import_refuses_bad_files(cli, corpus, corpus_url, corpus_engine, name, kind):
    before = snapshot(corpus_engine, *TABLES)
    code, _, err = cli(corpus_url, "import", kind, str(corpus(name)))
    _clear(code, err)
    assert _phrase(kind, name) in " ".join(err.split())
    assert snapshot(corpus_engine, *TABLES) == before


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", IMPORT_FILES)
def test_api_upload_refuses_bad_files(officer_client, corpus, corpus_engine, name, kind):
    before = snapshot(corpus_engine, *TABLES)
    path = corpus(name)
    with open(path, "rb") as fh:
        r = officer_client.post(f"/imports/{kind}", files={"file": (name, fh)})
    assert r.status_code in (413, 422), r.text[:2000]
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["detail"] and body["status"] == r.status_code
    assert snapshot(corpus_engine, *TABLES) == before


@pytest.mark.parametrize("name", BOUNDARY_FILES)
def test_boundaries_load_refuses_bad_files(cli, corpus_url, corpus_engine, name):
    before = snapshot(corpus_engine, *TABLES)
    code, _, err = cli(
        corpus_url, "boundaries", "load", str(BAD / name), "--level", "commune",
        "--code-field", "ma", "--name-field", "ten", "--parent", "37",
    )  # fmt: skip
    _clear(code, err)
    assert snapshot(corpus_engine, *TABLES) == before
