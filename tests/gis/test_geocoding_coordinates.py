"""Coordinates written as text: decimal, swapped, DMS, Vietnamese hemispheres, territory."""

from __future__ import annotations

import numpy as np
import pytest

from gis.coordinates import archipelago, in_territory, parse_point


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
