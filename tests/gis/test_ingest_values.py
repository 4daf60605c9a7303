"""Cell parsing without a database: dates, numbers, coordinates, vocabularies, headers."""

from __future__ import annotations

import pandas as pd
import pytest

from gis.ingest import vocab
from gis.ingest.fields import is_personal, recognise
from gis.ingest.values import parse_coordinate_pairs, parse_datetimes, parse_numbers

NOW = pd.Timestamp("2026-01-01", tz="UTC")


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("12/03/2024 14:30", "2024-03-12 07:30"),  # local time (UTC+7)
        ("1/3/2024 9:05", "2024-03-01 02:05"),
        ("12-03-2024 14:30:15", "2024-03-12 07:30:15"),
        ("12.03.2024", "2024-03-11 17:00"),
        ("2024-03-12", "2024-03-11 17:00"),
        ("2024-03-12T08:15", "2024-03-12 01:15"),
        ("2024-03-12T08:15:00+07:00", "2024-03-12 01:15"),
        ("2024-03-12T01:15:00Z", "2024-03-12 01:15"),
        ("45371.5", "2024-03-20 05:00"),  # an Excel serial date
        ("14h30 ngày 12/3/2024", "2024-03-12 07:30"),
        ("8 giờ 15 phút ngày 12/3/2024", "2024-03-12 01:15"),
        ("12 tháng 3 năm 2024", "2024-03-11 17:00"),
        ("29/02/2024", "2024-02-28 17:00"),
    ],
)
def test_dates_people_write(text, utc):
    when, messages = parse_datetimes(pd.Series([text], dtype=object), NOW)
    assert messages[0] is None
    assert when.iloc[0] == pd.Timestamp(utc, tz="UTC")


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("31/02/2024", "not a date"),
        ("29/02/2023", "not a date"),
        ("25/03/2024 25:00", "not a date"),
        ("12/03/24", "not a date"),  # two-digit years are ambiguous
        ("hôm qua", "not a date"),
        ("01/01/2027", "in the future"),
        ("01/01/1900", "before 1990"),
    ],
)
def test_dates_refused(text, phrase):
    when, messages = parse_datetimes(pd.Series([text], dtype=object), NOW)
    assert pd.isna(when.iloc[0]) and phrase in messages[0]


def test_numbers_and_coordinate_pairs():
    assert parse_numbers(pd.Series(["20.5", "20,5", "", "x"], dtype=object)).tolist()[:2] == [
        20.5, 20.5,
    ]  # fmt: skip
    lon, lat, messages = parse_coordinate_pairs(
        pd.Series(["20.25, 105.97", "105.97 20.25", "20°15'N 105°58'E", "1, 2", "abc", ""])
    )
    assert lon[:3].round(2).tolist() == [105.97, 105.97, 105.97]
    assert lat[:3].round(2).tolist() == [20.25, 20.25, 20.25]
    assert "outside Vietnam" in messages[3] and "not coordinates" in messages[4]
    assert messages[5] is None


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Trộm cắp tài sản", "crime"), ("trom cap", "crime"), ("1", "crime"),
        ("Tàng trữ trái phép chất ma túy", "social_evils"), ("TNXH", "social_evils"),
        ("Cháy nhà dân", "property_fire"), ("Nổ bình gas", "property_fire"),
        ("TNGT", "public_order"), ("Gây rối TTCC", "public_order"),
        ("Người lầm lỗi tái phạm", "offenders"), ("Khác", "other"), ("Mất tích", "other"),
    ],
)  # fmt: skip
def test_categories(text, key):
    assert vocab.match_phrase(text, vocab.CATEGORY_PHRASES) == key


def test_kinds_statuses_components_flags():
    kinds = {"Thôn": "village", "TDP số 3": "village", "Dòng họ Nguyễn": "clan",
             "Giáo xứ": "religious", "Hội Phụ nữ xã": "organisation",
             "Xã, phường": "commune"}  # fmt: skip
    assert {t: vocab.match_phrase(t, vocab.KIND_PHRASES) for t in kinds} == kinds
    assert vocab.match_phrase("Đang hoạt động", vocab.STATUS_PHRASES) == "replicated"
    assert vocab.match_phrase("tam dung", vocab.STATUS_PHRASES) == "suspended"
    assert vocab.parse_components("Tất cả") == (1, 2, 3, 4, 5)
    assert vocab.parse_components("1, 2 và 5") == (1, 2, 5)
    assert vocab.parse_components("Phòng, chống tội phạm; Quản lý người lầm lỗi") == (1, 5)
    assert vocab.parse_components("7") is None
    assert [vocab.parse_flag(v) for v in ("x", "Có", "không", "", "chưa rõ")] == [
        True, True, False, False, None,
    ]  # fmt: skip


def test_headers_with_and_without_diacritics():
    headers = ["STT", "Ten mo hinh", "Loại", "Ngày bắt đầu", "Vĩ độ (lat)", "Kinh do / Longitude",
               "Dia chi", "Người phụ trách"]  # fmt: skip
    assert recognise("sites", headers) == {
        "name": 1, "kind": 2, "started_on": 3, "lat": 4, "lon": 5, "address": 6,
    }  # fmt: skip
    assert recognise("incidents", ["Date", "Category", "Latitude", "Longitude"]) == {
        "occurred_at": 0, "category": 1, "lat": 2, "lon": 3,
    }  # fmt: skip
    assert is_personal("incidents", "Họ và tên") and is_personal("incidents", "Tên")
    assert not is_personal("sites", "Tên mô hình")


def test_dates_in_one_chunk_mixed_formats_and_empty_cells():
    """The fixed-width fast path and the slower formats side by side, with empty cells and
    the file's format remembered across chunks (memo): each cell as on its own."""
    cells = ["12/03/2024 14:30", "", "1/3/2024 9:05", "hôm qua", "2024-03-12", "31/02/2024"]
    memo: dict = {}
    for _ in range(2):  # the second chunk uses the remembered format ranking
        when, messages = parse_datetimes(pd.Series(cells, dtype=object), NOW, memo)
        assert when.iloc[0] == pd.Timestamp("2024-03-12 07:30", tz="UTC")
        assert pd.isna(when.iloc[1]) and messages[1] is None  # empty: no date, no problem
        assert when.iloc[2] == pd.Timestamp("2024-03-01 02:05", tz="UTC")
        assert "not a date" in messages[3] and "not a date" in messages[5]
        assert when.iloc[4] == pd.Timestamp("2024-03-11 17:00", tz="UTC")
        assert [m is None for m in messages] == [True, True, True, False, True, False]
    assert parse_numbers(pd.Series(["", "x", "1,5"], dtype=object)).tolist()[2] == 1.5


def test_empty_rows_dropped_only_when_every_cell_is_empty():
    from gis.ingest.chunks import drop_empty_rows as _drop_empty_rows
    from gis.ingest.table import EXTRA, ROW

    chunk = pd.DataFrame(
        {0: ["", "a", "", ""], 1: ["", "", "b", ""], EXTRA: ["", "", "", "c"], ROW: [2, 3, 4, 5]}
    )
    assert _drop_empty_rows(chunk)[ROW].tolist() == [3, 4, 5]
    full = chunk.iloc[1:]
    assert _drop_empty_rows(full) is full
    assert _drop_empty_rows(pd.DataFrame({0: ["", ""], ROW: [2, 3]}))[ROW].tolist() == []


def test_single_value_of_a_staged_column():
    """A column sent as the staging default only when every row holds that one value."""
    import numpy as np

    from gis.ingest.staging import _VARIES, _single_value

    same = ["coordinates"] * 1000
    assert _single_value(pd.Series(same, dtype=object)) == "coordinates"
    assert _single_value(pd.Series([None, np.nan] * 500, dtype=object)) is None
    assert _single_value(pd.Series([1.0] * 1000)) == 1.0
    assert _single_value(pd.Series(["a", None] * 500, dtype=object)) is _VARIES
    assert _single_value(pd.Series(["a", "b"] * 500, dtype=object)) is _VARIES
    for odd in (1, 999):  # rows the quick look at a few rows does not see
        cells = same.copy()
        cells[odd] = "address"
        assert _single_value(pd.Series(cells, dtype=object)) is _VARIES
        cells[odd] = None
        assert _single_value(pd.Series(cells, dtype=object)) is _VARIES
