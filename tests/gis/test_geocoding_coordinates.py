"""Coordinates written as text: decimal, swapped, DMS, Vietnamese hemispheres, territory."""

from __future__ import annotations

import re
import sys
import unicodedata

import numpy as np
import pytest

from gis import coordinates
from gis.coordinates import archipelago, in_territory, may_be_point, parse_point
from gis.normalise import nfc


@pytest.mark.parametrize(
    ("text", "lon", "lat"),
    [
        ("20.25, 105.97", 105.97, 20.25),
        ("105.97 20.25", 105.97, 20.25),
        ("20.25;105.97", 105.97, 20.25),
        ("lat: 20.25 lon: 105.97", 105.97, 20.25),
        ("20,25 105,97", 105.97, 20.25),
        ("20°15'N 105°58'E", 105 + 58 / 60, 20.25),
        ("105°58'E 20°15'N", 105 + 58 / 60, 20.25),
        ("N 20° 15.5' E 105° 58'", 105 + 58 / 60, 20 + 15.5 / 60),
        ("20°15'30\"B 105°58'00\"Đ", 105 + 58 / 60, 20 + 15.5 / 60),
    ],
)
def test_parse_point(text, lon, lat):
    point = parse_point(text)
    assert point is not None and point.error is None
    assert point.lon == pytest.approx(lon) and point.lat == pytest.approx(lat)


def test_swap_is_reported():
    assert parse_point("105.97, 20.25").swapped
    assert not parse_point("20.25, 105.97").swapped


@pytest.mark.parametrize("text", ["48.8566, 2.3522", "95, 200", "-20.25, -105.97"])
def test_points_outside_vietnams_extent_are_errors(text):
    point = parse_point(text)
    assert point is not None and point.error


@pytest.mark.parametrize("text", ["xã Gia Viễn", "số 12 ngõ 5", "123456", "20.25", ""])
def test_text_that_is_not_coordinates(text):
    assert parse_point(text) is None


def test_territory_includes_the_archipelagos_and_excludes_neighbours():
    lons = np.array([105.97, 112.3, 114.0, 114.17, 100.50, 103.85])
    lats = np.array([20.25, 16.5, 10.0, 22.32, 13.75, 1.29])
    assert in_territory(lons, lats).tolist() == [True, True, True, False, False, False]
    assert archipelago(112.3, 16.5) == "Hoàng Sa"
    assert archipelago(114.0, 10.0) == "Trường Sa"
    assert archipelago(105.97, 20.25) is None


def test_the_label_letters_are_every_letter_a_label_can_be_written_with():
    # parse_point turns away text with any other letter (and no degree sign) before the
    # labels are taken out: the set must hold every letter _LABELS matches, in any case.
    letters = sorted({c for c in coordinates._LABELS.pattern if c.isalpha()})
    any_case = re.compile("[" + "".join(letters) + "]", re.IGNORECASE)
    closure = {chr(i) for i in range(sys.maxunicode + 1) if any_case.fullmatch(chr(i))}
    assert set(coordinates.LABEL_LETTERS) == closure


def _parse_point_without_the_shortcut(text: str):
    """parse_point as it was before the letter check (the reference)."""
    if len(text) > 120 or not coordinates._HAS_DIGIT.search(text):
        return None
    cleaned = coordinates._LABELS.sub(" ", unicodedata.normalize("NFC", text)).strip()
    for pattern in (coordinates._DECIMAL_PAIR, coordinates._COMMA_DECIMAL_PAIR):
        m = pattern.match(cleaned)
        if m:
            return coordinates._ordered(
                coordinates._float(m.group(1)), coordinates._float(m.group(2))
            )
    if any(c in cleaned for c in "°º˚"):
        return coordinates._dms(cleaned)
    return None


LABELLED = [
    "LAT 20.25 LONG 105.97", "Vĩ độ: 20,25; Kinh độ: 105,97", "VĨ ĐỘ 20.25 KINH ĐỘ 105.97",
    "GPS 20.25 105.97", "Tọa độ (20.25, 105.97)", "Coordinates: 20.25, 105.97",
    "latitude=20.25 longitude=105.97", "ſ 20.25 105.97", "lat 20.25 lng 105.97 xa",
    "Xã 20, 105.97", "số 12 ngõ 5, 20.25 105.97", "20.25 105.97 thôn 3", "20d15m 105d58m",
    "20°15'N 105°58'E Ninh Bình", "Bắc 20°15' Đông 105°58'", "t 20.25 đ 105.97",
]  # fmt: skip


@pytest.mark.parametrize("text", LABELLED)
def test_the_letter_check_changes_no_reading(text):
    assert parse_point(text) == _parse_point_without_the_shortcut(text)


def test_the_letter_check_changes_no_reading_of_the_evaluation_set():
    from tests.data.geocode.evaluation import load_rows

    texts = [row.text for row in load_rows()]
    assert [parse_point(t) for t in texts] == [_parse_point_without_the_shortcut(t) for t in texts]


SCREENED = [
    *LABELLED, "20.25,\n105.97", "20.25\x00, 105.97", "  20.25   105.97  ", "\ufeff20.25 105.97",
    "Xa\u0300 20 105", "n\u0303 20.25 105.97", "20\u00b0 15' N", "Phường 6, Quận 3", "",
]  # fmt: skip


def test_the_batch_screening_turns_away_no_point():
    # A batch asks parse_point only of the texts may_be_point lets through (on their NFC
    # form): every text it turns away must read no point.
    from tests.data.geocode.evaluation import load_rows

    for text in [*SCREENED, *(row.text for row in load_rows())]:
        if not may_be_point(nfc(text)):
            assert parse_point(text) is None, text
    assert all(may_be_point(nfc(t)) for t in ("20.25, 105.97", "20°15'N 105°58'E", "LAT 1 LON 2"))


def test_labels_are_only_looked_for_where_they_can_be():
    # parse_point skips the label pattern for text without a letter or a bracket.
    import random

    rng = random.Random(5)
    alphabet = "0123456789 .,;-+°'\"/:=()[]NSEWlatonLATONgpsđộĩK\u212a\u0301"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        if not coordinates._may_have_label(text):
            assert coordinates._LABELS.search(text) is None, text
