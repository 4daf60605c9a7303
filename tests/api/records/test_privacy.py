"""Privacy for viewers: small counts suppressed in collections, tiles and statistics, no
incident points, and every answer says which policy applied."""

from __future__ import annotations

import math

import mapbox_vector_tile
import numpy as np
import pandas as pd
import pytest

from gis.auth import Principal, Scope
from gis.density import density_grid
from gis.privacy import Audience, density_support, suppress_counts, suppress_frame, suppress_rows


def _features(client, collection: str, **params) -> dict[str, dict]:
    r = client.get(
        f"/collections/{collection}/items",
        params={"limit": 10_000, "skipGeometry": "true", **params},
    )
    assert r.status_code == 200, r.text
    return {f["id"]: f["properties"] for f in r.json()["features"]}


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_hotspot_counts_below_three_are_suppressed_for_viewers(data_clients, data_setup):
    hanoi = data_setup.hanoi
    viewer = data_clients["viewer"].get("/collections/hotspots/items", params={"limit": 10_000})
    assert viewer.headers["x-tuquan-privacy"] == "suppressed<3"
    assert viewer.json()["privacy"] == "suppressed<3"
    seen = {f["id"]: f["properties"] for f in viewer.json()["features"]}
    officer = _features(data_clients["officer01"], "hotspots")
    assert officer[hanoi["one"]]["incidents"] == 1 and officer[hanoi["two"]]["incidents"] == 2
    assert seen[hanoi["one"]]["incidents"] is None and seen[hanoi["two"]]["incidents"] is None
    assert seen[hanoi["five"]]["incidents"] == 5
    shown = [p["incidents"] for p in seen.values() if p["incidents"] is not None]
    assert shown and all(n == 0 or n >= 3 for n in shown)
    assert 0 in shown  # zero describes no one: it stays visible
    # with the neighbours' counts known, Gi* gives the count back: withheld with it
    for key in ("one", "two"):
        assert officer[hanoi[key]]["z"] is not None and officer[hanoi[key]]["bin"] is not None
        assert all(seen[hanoi[key]][c] is None for c in ("z", "p_value", "bin"))
    assert seen[hanoi["five"]]["z"] == pytest.approx(officer[hanoi["five"]]["z"])
    assert seen[hanoi["five"]]["bin"] == officer[hanoi["five"]]["bin"]


def test_a_filter_cannot_find_the_suppressed_counts(data_clients, data_setup):
    one = data_setup.hanoi["one"]
    assert _features(data_clients["viewer"], "hotspots", incidents="1") == {}
    assert one in _features(data_clients["officer01"], "hotspots", incidents="1")
    item = data_clients["viewer"].get(f"/collections/hotspots/items/{one}").json()
    assert item["properties"]["incidents"] is None and item["privacy"] == "suppressed<3"


def test_candidates_hide_the_rate_and_sentence_of_small_counts(data_clients, data_setup):
    one = data_setup.hanoi["one"]
    viewer = _features(data_clients["viewer"], "candidates")[one]
    officer = _features(data_clients["admin"], "candidates")[one]
    assert officer["incidents"] == 1 and officer["explanation_vi"]
    assert viewer["incidents"] is None and viewer["rate"] is None
    assert viewer["explanation_vi"] is None and viewer["explanation_en"] is None
    # the count's percentile, the rate's and z's, and the score that sums them give it back
    for field in ("z", "score", "c_burden_count", "c_burden_rate", "c_hotspot"):
        assert officer[field] is not None and viewer[field] is None, field
    for field in ("rank", "c_mentoring", "c_gap"):  # nothing of the count in these
        assert viewer[field] == pytest.approx(officer[field]), field
    five = data_setup.hanoi["five"]
    shown = _features(data_clients["viewer"], "candidates")
    if five in shown:  # five incidents: shown as they are
        assert shown[five]["score"] is not None and shown[five]["c_burden_count"] is not None


def test_grid_counts_suppressed_in_items_and_tiles(data_clients):
    cells = _features(data_clients["viewer"], "hotspots-grid")
    counts = [p["incidents"] for p in cells.values()]
    assert None in counts and all(c is None or c == 0 or c >= 3 for c in counts)
    officer = _features(data_clients["admin"], "hotspots-grid")
    for cell, props in cells.items():  # a cell's Gi* is withheld with its count
        if props["incidents"] is None:
            assert props["z"] is None and props["p_value"] is None and props["bin"] is None
            assert officer[cell]["z"] is not None
        else:
            assert props["z"] == pytest.approx(officer[cell]["z"])
    x, y = _tile_of(105.97, 20.25, 7)
    viewer = mapbox_vector_tile.decode(
        data_clients["viewer"].get(f"/tiles/hotspots-grid/7/{x}/{y}.mvt").content
    )["hotspots-grid"]["features"]
    admin = mapbox_vector_tile.decode(
        data_clients["admin"].get(f"/tiles/hotspots-grid/7/{x}/{y}.mvt").content
    )["hotspots-grid"]["features"]
    small = {f["properties"]["h3_cell"] for f in admin if 0 < f["properties"]["incidents"] < 3}
    assert small
    for f in viewer:
        if f["properties"]["h3_cell"] in small:
            assert "incidents" not in f["properties"]  # a null attribute is left out
        else:
            assert f["properties"]["incidents"] == 0 or f["properties"]["incidents"] >= 3


def test_incident_points_never_reach_a_viewer(data_clients):
    viewer = data_clients["viewer"]
    for path in (
        "/collections/incidents",
        "/collections/incidents/items",
        "/collections/incidents/items/1",
        "/tiles/incidents/7/102/56.mvt",
        "/tiles/incidents.json",
    ):
        r = viewer.get(path)
        assert r.status_code == 404, path
        assert "coordinates" not in r.text
    assert data_clients["officer37"].get("/collections/incidents/items/1").status_code == 200


def test_statistics_for_viewers_suppress_small_counts(data_clients):
    r = data_clients["viewer"].get("/incidents/stats", params={"province": "01"})
    assert r.status_code == 200 and r.headers["x-tuquan-privacy"] == "suppressed<3"
    body = r.json()
    assert body["privacy"] == "suppressed<3"
    assert body["total"] == 8 and body["by_category"]["crime"] == 6
    assert body["by_category"]["other"] is None  # 2 incidents
    assert body["by_category"]["social_evils"] == 0  # zero describes no one: shown
    by_commune = {c["code"]: c["incidents"] for c in body["top_communes"]}
    assert sorted(v for v in by_commune.values() if v is not None) == [5]
    officer = data_clients["officer01"].get("/incidents/stats").json()
    assert officer["privacy"] == "none" and officer["by_category"]["other"] == 2


def test_audience_of_each_role():
    viewer = Principal("p", "viewer", Scope())
    officer = Principal("o", "officer", Scope(frozenset({"37"})))
    assert (
        Audience.of(viewer, 5).policy == "suppressed<5" and not Audience.of(viewer).may_see_points
    )
    assert Audience.of(officer).policy == "none" and Audience.of(officer).scope.provinces == {"37"}
    assert Audience.of(None).suppresses


def test_suppression_functions_agree():
    frame = pd.DataFrame(
        {"code": ["a", "b", "c", "d"], "incidents": [0, 2, 3, None], "rate": [0.0, 0.5, 0.7, 1.0]}
    )
    columns = {"incidents": "incidents", "rate": "incidents"}
    out = suppress_frame(frame, columns, 3)
    assert out["incidents"].tolist()[:3] == [0, None, 3] and pd.isna(out["incidents"][3])
    assert out["rate"].tolist() == [0.0, None, 0.7, 1.0]
    rows = suppress_rows(frame.to_dict("records"), columns, 3)
    assert [r["rate"] for r in rows] == [0.0, None, 0.7, 1.0]
    assert suppress_frame(frame, columns, None) is frame
    assert suppress_counts({"x": 1, "y": 4, "z": None}, 3) == {"x": None, "y": 4, "z": None}


def test_a_lone_incident_makes_no_density_a_viewer_sees():
    bandwidth_m = 1000.0
    lone = np.array([[500_000.0, 2_300_000.0]])
    xs, ys, surface, _ = density_grid(lone[:, 0], lone[:, 1], bandwidth_m)
    rows, cols = np.nonzero(surface > 0)
    cells = np.column_stack([xs[cols], ys[rows]])
    assert len(cells) > 20  # the disc it draws around itself
    support = density_support(cells, lone, bandwidth_m)
    assert support.max() == 1 and not (support >= 3).any()  # every cell hidden at min_count 3
    three = lone + np.array([[0.0, 0.0], [300.0, 0.0], [0.0, 300.0]])
    support = density_support(cells, three, bandwidth_m)
    assert (support >= 3).any() and not (support >= 4).any()
    assert density_support(cells[:0], three, bandwidth_m).shape == (0,)
