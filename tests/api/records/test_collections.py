"""The data collections through the app: shapes, counts and filters checked against PostGIS."""

from __future__ import annotations

import math

import h3
import mapbox_vector_tile
import pytest
import sqlalchemy as sa

from gis.coverage import coverage_result
from tests.helpers import count

NEW = ("sites", "coverage", "hotspots", "hotspots-grid", "candidates")
NB_BBOX = (105.8, 20.1, 106.1, 20.4)


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _all(client, collection: str, **params) -> dict:
    r = client.get(
        f"/collections/{collection}/items",
        params={"limit": 10_000, "skipGeometry": "true", **params},
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_collections_listed_by_role(data_clients):
    viewer = {c["id"] for c in data_clients["viewer"].get("/collections").json()["collections"]}
    officer = {c["id"] for c in data_clients["officer37"].get("/collections").json()["collections"]}
    assert set(NEW) <= viewer and "incidents" not in viewer
    assert set(NEW) | {"incidents"} <= officer
    described = data_clients["viewer"].get("/collections/sites").json()
    assert described["extent"]["temporal"]["interval"][0][0].startswith("20")
    assert {link["rel"] for link in described["links"]} >= {"self", "items"}


@pytest.mark.parametrize("collection", NEW)
def test_items_shape(data_clients, collection):
    page = _all(data_clients["admin"], collection, skipGeometry="false")
    assert page["type"] == "FeatureCollection" and page["privacy"] == "none"
    assert page["numberMatched"] == page["numberReturned"] == len(page["features"]) > 0
    feature = page["features"][0]
    assert feature["type"] == "Feature" and feature["geometry"]["type"]
    light = _all(data_clients["admin"], collection)  # skipGeometry
    assert light["numberMatched"] == page["numberMatched"]
    assert all(f["geometry"] is None for f in light["features"])
    for value in feature["properties"].values():  # vector-tile friendly: scalars only
        assert not isinstance(value, list | dict)
    one = data_clients["admin"].get(f"/collections/{collection}/items/{feature['id']}")
    assert one.status_code == 200 and one.json()["id"] == feature["id"]


def test_sites_match_the_table(data_clients, data_setup):
    page = _all(data_clients["viewer"], "sites")
    assert page["numberMatched"] == count(data_setup.engine, "SELECT count(*) FROM site")
    with data_setup.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id::text, components, kind, status FROM site")).all()
    expected = {r[0]: (",".join(map(str, r[1])), len(r[1]), r[2], r[3]) for r in rows}
    got = {
        f["id"]: (
            f["properties"]["components"],
            f["properties"]["component_count"],
            f["properties"]["kind"],
            f["properties"]["status"],
        )
        for f in page["features"]
    }
    assert got == expected


def test_sites_datetime_interval(data_clients, data_setup):
    page = _all(data_clients["viewer"], "sites", datetime="2021-01-01/2022-12-31")
    assert page["numberMatched"] == count(
        data_setup.engine,
        "SELECT count(*) FROM site WHERE started_on BETWEEN '2021-01-01' AND '2022-12-31'",
    )
    assert all("2021" <= f["properties"]["started_on"] < "2023" for f in page["features"])


@pytest.mark.parametrize(
    ("collection", "sql"),
    [
        (
            "sites",
            "SELECT id::text FROM site WHERE ST_Intersects(geom, {env})",
        ),
        (
            "hotspots",
            "SELECT code FROM admin_unit WHERE level = 'commune' AND ST_Intersects(geom, {env})",
        ),
        (
            "hotspots-grid",
            "SELECT h.cell FROM h3_cell h JOIN analysis_result a ON a.kind = 'grid_hotspots' "
            "CROSS JOIN LATERAL jsonb_to_recordset(a.rows) r(h3_cell text) "
            "WHERE r.h3_cell = h.cell AND ST_Intersects(h.geom, {env})",
        ),
    ],
)
def test_bbox_filter_matches_postgis(data_clients, data_setup, collection, sql):
    bbox = (105.6, 20.0, 106.0, 20.6) if collection == "sites" else (105.95, 20.2, 106.05, 20.3)
    page = _all(data_clients["admin"], collection, bbox=",".join(map(str, bbox)))
    env = "ST_MakeEnvelope(:a, :b, :c, :d, 4326)"
    with data_setup.engine.connect() as conn:
        expected = set(
            conn.scalars(sa.text(sql.format(env=env)), dict(zip("abcd", bbox, strict=True)))
        )
    assert {f["id"] for f in page["features"]} == expected and expected
    assert page["numberMatched"] == len(expected)


def test_coverage_matches_the_stored_result(data_clients, data_setup):
    page = _all(data_clients["admin"], "coverage")
    frame = coverage_result(data_setup.engine).frame.set_index("code")
    assert page["numberMatched"] == len(frame) == 255
    covered = {f["id"] for f in page["features"] if f["properties"]["covered"]}
    assert covered == set(frame.index[frame["covered"]]) and covered
    for f in page["features"]:
        row = frame.loc[f["id"]]
        assert f["properties"]["component_count"] == row["component_count"]
        assert f["properties"]["components"] == (",".join(map(str, row["components"])) or None)
        assert f["properties"]["status"] == (
            row["status"] if row["status"] == row["status"] else None
        )


def test_grid_cells_are_h3_hexagons(data_clients):
    page = _all(data_clients["admin"], "hotspots-grid", skipGeometry="false")
    feature = page["features"][0]
    cell = feature["properties"]["h3_cell"]
    assert h3.is_valid_cell(cell) and feature["properties"]["resolution"] == h3.get_resolution(cell)
    ring = feature["geometry"]["coordinates"][0]
    expected = [(lon, lat) for lat, lon in h3.cell_to_boundary(cell)]
    assert len(ring) == len(expected) + 1
    for (x, y), (ex, ey) in zip(ring, expected, strict=False):
        assert abs(x - ex) < 1e-6 and abs(y - ey) < 1e-6
    assert sum(f["properties"]["incidents"] for f in page["features"]) > 1000


def test_candidate_contributions_add_up(data_clients):
    page = _all(data_clients["admin"], "candidates")
    ranked = sorted(page["features"], key=lambda f: f["properties"]["rank"])
    scores = [f["properties"]["score"] for f in ranked]
    assert scores == sorted(scores, reverse=True)
    for f in ranked:
        p = f["properties"]
        parts = sum(p[f"c_{k}"] for k in ("burden_count", "burden_rate", "hotspot",
                                           "mentoring", "gap"))  # fmt: skip
        assert abs(parts - p["score"]) < 1e-9
        assert f["id"] == p["code"] and p["explanation_vi"] is not None


def test_coverage_tile_decodes_with_its_attributes(data_clients, data_setup):
    z = 9
    x, y = _tile_of(105.97, 20.25, z)
    r = data_clients["viewer"].get(f"/tiles/coverage/{z}/{x}/{y}.mvt")
    assert r.status_code == 200 and r.headers["x-tuquan-privacy"] == "suppressed<3"
    assert r.headers["cache-control"].startswith("private")
    layer = mapbox_vector_tile.decode(r.content)["coverage"]
    by_code = {f["properties"]["code"]: f["properties"] for f in layer["features"]}
    with data_setup.engine.connect() as conn:
        inside = set(
            conn.scalars(
                sa.text(
                    "SELECT code FROM admin_unit WHERE level = 'commune' AND "
                    "ST_Intersects(ST_Transform(geom, 3857), ST_TileEnvelope(:z, :x, :y))"
                ),
                {"z": z, "x": x, "y": y},
            )
        )
    assert inside <= set(by_code)
    frame = coverage_result(data_setup.engine).frame.set_index("code")
    covered = [c for c in by_code if frame.loc[c, "covered"]]
    assert covered, "the tile should hold a covered commune"
    for code in covered:
        props = by_code[code]
        assert props["component_count"] == frame.loc[code, "component_count"]
        assert props["components"] == ",".join(map(str, frame.loc[code, "components"]))
        assert props["status"] in ("pilot", "replicated") and props["covered"] is True
        assert isinstance(props["kinds"], str) and props["kinds"]


def test_sites_tile_attributes(data_clients):
    r = data_clients["viewer"].get("/tiles/sites/5/25/14.mvt")
    layer = mapbox_vector_tile.decode(r.content)["sites"]
    props = layer["features"][0]["properties"]
    assert {"kind", "status", "component_count", "components", "province_code"} <= set(props)
    assert isinstance(props["components"], str)


def test_tilejson_of_a_result_collection(data_clients):
    doc = data_clients["viewer"].get("/tiles/hotspots.json").json()
    assert doc["vector_layers"][0]["id"] == "hotspots"
    assert "bin" in doc["vector_layers"][0]["fields"]
