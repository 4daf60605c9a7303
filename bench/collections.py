"""Result-backed feature collections: tuquan's SQL path vs serving the stored result with geopandas.

Both answer "every commune's hotspot result as GeoJSON" from the same stored result of the
national bench database (3,321 communes, 1,000,000 synthetic incidents, bench/_analysis_data.py):

- tuquan: what `GET /collections/hotspots/items` does: `gis.feature_pages.query_geojson`
  (the bound stored result unpacked by `jsonb_to_recordset`, joined to the commune polygons,
  the feature array written by PostGIS, freshness check included: one small query);
- peer: the obvious Python way: `hotspots_result` (reads the stored rows back into pandas),
  `gis.results.with_geometry` (polygons as WKB from PostGIS), `GeoDataFrame.to_json()`.

Whole country; then one province's bounding box (Ninh Bình: the peer loads every commune and
filters in geopandas). For a viewer both also suppress counts below 3 (SQL CASE vs
`gis.privacy.suppress_frame`). Same run, best of 3, ratio printed.

    .venv/bin/python -m bench collections
"""

from __future__ import annotations

import json
import time

import shapely

from bench._analysis_data import bench_engine
from gis import features
from gis.auth import Scope
from gis.feature_pages import query_geojson
from gis.feature_results import HOTSPOTS
from gis.hotspots import hotspots_result
from gis.privacy import EVERYONE, Audience, suppress_frame
from gis.results import with_geometry

REPEATS = 3
VIEWER = Audience(Scope(), 3, False)
NINH_BINH = (105.5, 19.8, 106.7, 20.8)


def _best(fn) -> tuple[float, object]:
    times, out = [], None
    for _ in range(REPEATS):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return min(times), out


def _tuquan(engine, audience, bbox=None):
    query = features.Query(bbox=bbox, limit=10_000)
    page = query_geojson(engine, HOTSPOTS, query, audience)
    head = json.dumps({"type": "FeatureCollection", "numberMatched": page.number_matched})
    return head[:-1] + ', "features": ' + page.features_json + "}"


def _peer(engine, audience, bbox=None):
    frame = hotspots_result(engine).frame
    if audience.suppresses:
        frame = suppress_frame(frame, dict(HOTSPOTS.small_counts), audience.min_count)
    shapes = with_geometry(engine, frame, "commune")
    if bbox is not None:
        shapes = shapes[shapes.intersects(shapely.box(*bbox))]
    return shapes.to_json()


def main() -> None:
    engine = bench_engine()
    started = time.perf_counter()
    HOTSPOTS.bind(engine)  # computes and stores the national result once if needed
    print(f"hotspot result ready in {time.perf_counter() - started:.1f} s (stored, reused)")
    cases = (
        ("country, officer", EVERYONE, None),
        ("country, viewer (counts < 3 hidden)", VIEWER, None),
        ("Ninh Bình bbox, viewer", VIEWER, NINH_BINH),
    )
    for label, audience, bbox in cases:
        ours, body = _best(lambda a=audience, b=bbox: _tuquan(engine, a, b))
        peer, peer_body = _best(lambda a=audience, b=bbox: _peer(engine, a, b))
        n = len(json.loads(body)["features"])
        assert n == len(json.loads(peer_body)["features"])
        print(
            f"{label}: {n} communes — tuquan {ours:.3f} s ({len(body) / 1e6:.1f} MB), "
            f"geopandas peer {peer:.3f} s ({len(peer_body) / 1e6:.1f} MB): "
            f"peer / tuquan = {peer / ours:.1f}×"
        )
    bind, _ = _best(lambda: HOTSPOTS.bind(engine))
    read, _ = _best(lambda: hotspots_result(engine))
    print(
        f"freshness check per request: tuquan {bind * 1000:.1f} ms (memoised digest), "
        f"reading the stored result back {read * 1000:.1f} ms: ratio {read / bind:.0f}×"
    )
    engine.dispose()


if __name__ == "__main__":
    main()
