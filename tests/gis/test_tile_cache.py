"""Kept tiles are served until the data under them changes, and only to the same audience."""

from __future__ import annotations

import math

import mapbox_vector_tile
import sqlalchemy as sa

from gis import features
from gis.auth import Scope
from gis.privacy import EVERYONE, Audience
from gis.tiles import TileCache, render_tile


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 1 << z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return z, int((lon + 180) / 360 * n), int(y)


PHU_LY_Z11 = _tile_of(105.92, 20.54, 11)  # the tile holding Phủ Lý


def _names(tile) -> set[str]:
    layer = mapbox_vector_tile.decode(tile.data).get("communes", {"features": []})
    return {f["properties"]["name"] for f in layer["features"]}


def test_a_kept_tile_is_reused_until_a_write_changes_the_data(nb_engine):
    cache = TileCache()
    communes = features.get_collection("communes", False)
    first = render_tile(nb_engine, communes, *PHU_LY_Z11, EVERYONE, cache)
    assert "Phủ Lý" in _names(first)
    assert render_tile(nb_engine, communes, *PHU_LY_Z11, EVERYONE, cache) is first
    with nb_engine.connect() as conn:
        code = conn.scalar(sa.text("SELECT code FROM admin_unit WHERE name = 'Phủ Lý'"))
    rename = "UPDATE admin_unit SET name = :name WHERE code = :code"
    try:
        with nb_engine.begin() as conn:
            conn.execute(sa.text(rename), {"name": "Phủ Lý (đổi tên)", "code": code})
        changed = render_tile(nb_engine, communes, *PHU_LY_Z11, EVERYONE, cache)
        assert changed is not first and "Phủ Lý (đổi tên)" in _names(changed)
        assert changed.etag != first.etag
    finally:
        with nb_engine.begin() as conn:
            conn.execute(sa.text(rename), {"name": "Phủ Lý", "code": code})
    assert "Phủ Lý" in _names(render_tile(nb_engine, communes, *PHU_LY_Z11, EVERYONE, cache))


def test_a_tile_kept_for_one_audience_is_not_given_to_another(nb_engine):
    cache = TileCache()
    communes = features.get_collection("communes", False)
    everyone = render_tile(nb_engine, communes, *PHU_LY_Z11, EVERYONE, cache)
    elsewhere = Audience(Scope(frozenset({"01"})), None, True)  # Hà Nội only
    other = render_tile(nb_engine, communes, *PHU_LY_Z11, elsewhere, cache)
    assert _names(everyone) and not _names(other)


def test_the_cache_keeps_to_its_size():
    from gis.tiles import Tile

    cache = TileCache(max_bytes=10)
    cache.put(("a",), Tile(b"12345", "a"))
    cache.put(("b",), Tile(b"12345", "b"))
    assert cache.get(("a",)) is not None  # a is now the most recently used
    cache.put(("c",), Tile(b"12345", "c"))
    assert cache.get(("b",)) is None and cache.get(("a",)) and cache.get(("c",))
    cache.put(("big",), Tile(b"x" * 11, "big"))
    assert cache.get(("big",)) is None


def test_a_cache_of_size_zero_renders_every_time(nb_engine):
    communes = features.get_collection("communes", False)
    off = TileCache(max_bytes=0)  # TUQUAN_TILE_CACHE_MB=0
    first = render_tile(nb_engine, communes, *PHU_LY_Z11, EVERYONE, off)
    again = render_tile(nb_engine, communes, *PHU_LY_Z11, EVERYONE, off)
    assert again is not first and again.etag == first.etag
