"""Mapbox vector tiles from PostGIS (ST_AsMVT) for the feature collections.

A tile's layer is the collection, its attributes the collection's properties (status,
components, Gi* bin… for styling). Geometry is simplified to half the tile's pixel size
(collapsed rings kept) before projection and clipping, so a national layer stays light and
fast at every zoom.

Rendered tiles are kept in memory (``default_cache``, ``TUQUAN_TILE_CACHE_MB``) under a
key that holds the data version — the boundary version, the ``data_change`` log that
every write to an input table fills, the day, and the stored results the collection is
bound to — and the audience: a write or a new analysis makes the old tiles
unreachable, and nobody gets a tile made for someone else.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis.errors import InputError
from gis.features import Collection, visible_source
from gis.privacy import EVERYONE, Audience
from gis.results import canonical, inputs_state
from gis.settings import Settings

EXTENT = 4096  # tile coordinate space
BUFFER = 64
MAX_ZOOM = 22
WEB_MERCATOR_WIDTH_M = 40075016.685578488
WEB_MERCATOR_M_PER_DEG = WEB_MERCATOR_WIDTH_M / 360


@dataclass(frozen=True)
class Tile:
    """The encoded tile and a strong validator for HTTP caching."""

    data: bytes
    etag: str


def check_tile(z: int, x: int, y: int) -> None:
    """Refuse tile addresses outside the pyramid."""
    if not 0 <= z <= MAX_ZOOM:
        raise InputError(f"zoom {z} is out of range", f"use 0 to {MAX_ZOOM}", field="z")
    side = 1 << z
    if not (0 <= x < side and 0 <= y < side):
        raise InputError(
            f"tile {z}/{x}/{y} does not exist",
            f"x and y go from 0 to {side - 1}",
            field=tuple(n for n, v in (("x", x), ("y", y)) if not 0 <= v < side),
        )


def pixel_size_m(z: int) -> float:
    """Size of one tile pixel (of EXTENT per tile) at zoom ``z``, in Web Mercator metres."""
    return WEB_MERCATOR_WIDTH_M / (1 << z) / EXTENT


def _tile_sql(engine: Engine, coll: Collection, source: str) -> str:
    quote = engine.dialect.identifier_preparer.quote
    props = ", ".join(f"s.{quote(p)}" for p in coll.properties)
    return f"""
        WITH bounds AS (
            SELECT ST_TileEnvelope(:z, :x, :y) AS env,
                   ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS env4326
        ), features AS (
            SELECT s.fid::text AS fid, {props},
                   ST_AsMVTGeom(
                       ST_Transform(ST_Simplify(s.geom, :tolerance_deg, true), 3857),
                       bounds.env, {EXTENT}, {BUFFER}, true) AS geom
              FROM ({source}) s, bounds
             WHERE s.geom && bounds.env4326
        )
        SELECT ST_AsMVT(features.*, :layer, {EXTENT}, 'geom')
          FROM features WHERE geom IS NOT NULL
    """


class TileCache:
    """Least recently used tiles, up to ``max_bytes`` of tile data (thread-safe)."""

    def __init__(self, max_bytes: int = 64 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[tuple, Tile] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Tile | None:
        with self._lock:
            tile = self._tiles.get(key)
            if tile is not None:
                self._tiles.move_to_end(key)
            return tile

    def put(self, key: tuple, tile: Tile) -> None:
        with self._lock:
            if key in self._tiles or len(tile.data) > self.max_bytes:
                return
            self._tiles[key] = tile
            self._bytes += len(tile.data)
            while self._bytes > self.max_bytes:
                _, old = self._tiles.popitem(last=False)
                self._bytes -= len(old.data)

    def clear(self) -> None:
        with self._lock:
            self._tiles.clear()
            self._bytes = 0


_DEFAULT_CACHE: list[TileCache] = []


def default_cache() -> TileCache:
    """The process's tile cache, sized by ``TUQUAN_TILE_CACHE_MB`` (0: no cache)."""
    if not _DEFAULT_CACHE:
        _DEFAULT_CACHE.append(TileCache(int(Settings().tile_cache_mb * 2**20)))
    return _DEFAULT_CACHE[0]


def render_tile(
    engine: Engine,
    coll: Collection,
    z: int,
    x: int,
    y: int,
    audience: Audience = EVERYONE,
    cache: TileCache | None = None,
) -> Tile:
    """The tile z/x/y of ``coll`` as ``audience`` may see it, as MVT bytes (empty bytes
    when nothing is there): features outside their scope left out, small counts suppressed.
    Served from ``cache`` (default: the process's) while the data it was made from is
    unchanged."""
    check_tile(z, x, y)
    source, bound = visible_source(engine, coll, audience)
    cache = cache or default_cache()
    key = None
    if cache.max_bytes > 0:
        version = f"{date.today()}\n{canonical(inputs_state(engine))}\n{canonical(bound)}"
        key = (
            engine.url.render_as_string(hide_password=True), coll.id, z, x, y, audience,
            hashlib.sha256(version.encode()).hexdigest(),
        )  # fmt: skip
        if (tile := cache.get(key)) is not None:
            return tile
    params = {
        **bound,
        "z": z,
        "x": x,
        "y": y,
        "margin": BUFFER / EXTENT,
        # Simplified before the transform (fewer vertices to project) and without
        # ST_SimplifyPreserveTopology: ST_AsMVTGeom repairs what simplification breaks, and
        # a national z5 tile took 2.5 s instead of 0.13 s (bench/tiles.py). Degrees of
        # longitude are Web Mercator metres / WEB_MERCATOR_M_PER_DEG at any latitude, and
        # a latitude degree is never shorter: at most half a pixel either way.
        "tolerance_deg": pixel_size_m(z) / 2 / WEB_MERCATOR_M_PER_DEG,
        "layer": coll.id,
    }
    with engine.connect() as conn:
        data = conn.scalar(sa.text(_tile_sql(engine, coll, source)), params) or b""
    data = bytes(data)
    tile = Tile(data, hashlib.sha1(data, usedforsecurity=False).hexdigest())
    if key is not None:
        cache.put(key, tile)
    return tile


def tilejson(coll: Collection, tiles_url: str, bounds: tuple | None) -> dict:
    """A TileJSON 3.0 document for the collection's tiles."""
    return {
        "tilejson": "3.0.0",
        "name": coll.id,
        "description": coll.title,
        "tiles": [tiles_url],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": list(bounds) if bounds else [-180, -85.0511, 180, 85.0511],
        "vector_layers": [
            {"id": coll.id, "fields": {p: "" for p in ("fid", *coll.properties)}, "minzoom": 0,
             "maxzoom": MAX_ZOOM}
        ],
    }  # fmt: skip
