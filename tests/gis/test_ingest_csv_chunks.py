"""A CSV cut into raw lines (parsed where each chunk is checked) reads exactly as the
stream reads it: the same chunks, rows, row numbers, spill-over cells and errors."""

from __future__ import annotations

import pandas as pd
import pytest

from gis.errors import InputError
from gis.ingest.csv_chunks import RawChunk
from gis.ingest.readers import open_table

HEADER = "Mã vụ việc,Ngày xảy ra,Loại vụ việc,Vĩ độ,Kinh độ"


def _rows(n: int) -> list[str]:
    return [f"VV{i:04d},0{1 + i % 9}/03/2024 10:00,Trộm cắp,20.{i:04d},105.{i:03d}"
            for i in range(n)]  # fmt: skip


def _file(n: int, sep: str = ",", before: str = "") -> str:
    return before + "\n".join([HEADER, *_rows(n)]).replace(",", sep)


def _header_at(row: int):
    return lambda rows: row


def _both(path, size: int, header_row: int = 0):
    """(pieces parsed, stream chunks) of a file."""
    table = open_table(path, _header_at(header_row))
    pieces = list(table.pieces(size))
    parsed = [p.frame() if isinstance(p, RawChunk) else p for p in pieces]
    return pieces, parsed, list(table.chunks(size))


def _same(parsed: list[pd.DataFrame], streamed: list[pd.DataFrame]) -> None:
    assert len(parsed) == len(streamed)
    for a, b in zip(parsed, streamed, strict=True):
        pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    "name, text, size",
    [
        ("plain", HEADER + "\n" + "\n".join(_rows(30)) + "\n", 7),
        ("no final newline", HEADER + "\n" + "\n".join(_rows(30)), 7),
        ("one chunk", HEADER + "\n" + "\n".join(_rows(5)) + "\n", 100),
        ("exact chunks", HEADER + "\n" + "\n".join(_rows(21)) + "\n", 7),
        ("crlf", HEADER + "\r\n" + "\r\n".join(_rows(30)) + "\r\n", 7),
        ("blank lines", HEADER + "\n" + "\n\n".join(_rows(12)) + "\n\n\n", 5),
        ("spill-over cells", HEADER + "\n" + "\n".join(r + ",x,y" for r in _rows(20)) + "\n", 6),
        ("short rows", HEADER + "\n" + "\n".join(r.rsplit(",", 2)[0] for r in _rows(20)), 6),
        ("title rows", _file(20, before="Báo cáo vụ việc\nTỉnh Ninh Bình\n"), 6),
        ("semicolons", _file(20, ";"), 6),
        ("tabs", _file(20, "\t"), 6),
    ],
)  # fmt: skip
def test_raw_lines_read_as_the_stream_reads(tmp_path, name, text, size):
    path = tmp_path / "incidents.csv"
    path.write_bytes(text.encode("utf-8"))
    header_row = 2 if name == "title rows" else 0
    pieces, parsed, streamed = _both(path, size, header_row)
    assert all(isinstance(p, RawChunk) for p in pieces)
    _same(parsed, streamed)


def test_a_byte_order_mark_is_read_past(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + HEADER + "\n" + "\n".join(_rows(20)) + "\n").encode("utf-8"))
    pieces, parsed, streamed = _both(path, 6)
    assert isinstance(pieces[0], RawChunk)
    _same(parsed, streamed)


@pytest.mark.parametrize(
    "name, text",
    [
        ("a quoted cell", _file(10) + '\nVV1,"02/03/2024, 10:00",a,1,2\n'),
        ("a quoted header", '"Mã, vụ việc",Ngày\n' + "\n".join(_rows(10))),
        ("a lone carriage return", HEADER + "\n" + "\n".join(_rows(10)) + "\rVV9,x,y,1,2\n"),
        ("a cell across lines", HEADER + '\n"VV1\nVV2",02/03/2024,a,1,2\n' + "\n".join(_rows(9))),
    ],
)  # fmt: skip
def test_text_with_quotes_or_lone_carriage_returns_is_streamed(tmp_path, name, text):
    path = tmp_path / "quoted.csv"
    path.write_bytes(text.encode("utf-8"))
    pieces, parsed, streamed = _both(path, 4)
    assert not any(isinstance(p, RawChunk) for p in pieces)
    _same(parsed, streamed)


def test_other_encodings_are_streamed(tmp_path):
    path = tmp_path / "utf16.csv"
    path.write_bytes((HEADER + "\n" + "\n".join(_rows(10)) + "\n").encode("utf-16"))
    pieces, parsed, streamed = _both(path, 4)
    assert not any(isinstance(p, RawChunk) for p in pieces)
    _same(parsed, streamed)


def _error(read) -> str:
    with pytest.raises(InputError) as caught:
        read()
    return str(caught.value)


@pytest.mark.parametrize("line", [1, 5, 8, 9, 14])  # the first data line, chunk starts, within
def test_a_row_far_too_long_is_the_same_error_wherever_it_falls(tmp_path, line):
    rows = _rows(20)
    rows[line - 1] = ",".join(str(k) for k in range(14))
    path = tmp_path / "long.csv"
    path.write_bytes((HEADER + "\n" + "\n".join(rows) + "\n").encode("utf-8"))
    table = open_table(path, _header_at(0))

    def raw():
        for piece in table.pieces(4):
            piece.frame()

    streamed = _error(lambda: list(table.chunks(4)))
    assert _error(raw) == streamed
    assert "far more cells" in streamed


def test_bytes_that_are_not_utf8_are_named_to_the_byte(tmp_path):
    head = (HEADER + "\n" + "\n".join(_rows(40_000)) + "\n").encode("utf-8")  # past the sample
    path = tmp_path / "broken.csv"
    before = b"VV9,02/03/2024 10:00,Tr"
    path.write_bytes(head + before + b"\xff,20.1,105.9\n")
    table = open_table(path, _header_at(0))

    def raw():
        for piece in table.pieces(10_000):
            piece.frame()

    message = _error(raw)
    assert f"not utf-8 near byte {len(head) + len(before)}" in message
    assert "save it from Excel as 'CSV UTF-8'" in message
