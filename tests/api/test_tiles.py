"""Vector tiles decode to the expected features; caching headers; bad addresses."""

from __future__ import annotations

import math

import mapbox_vector_tile
import sqlalchemy as sa


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_commune_tile_decodes_to_the_communes_it_covers(nb_client, nb_engine):
    z = 11
    x, y = _tile_of(105.92, 20.54, z)  # Phủ Lý
    r = nb_client.get(f"/tiles/communes/{z}/{x}/{y}.mvt")
    assert (
        r.status_code == 200 and r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    )
    layer = mapbox_vector_tile.decode(r.content)["communes"]
    names = {f["properties"]["name"] for f in layer["features"]}
    with nb_engine.connect() as conn:
        expected = set(
            conn.scalars(
                sa.text(
                    "SELECT name FROM admin_unit WHERE level='commune' AND "
                    "ST_Intersects(ST_Transform(geom, 3857), ST_TileEnvelope(:z, :x, :y))"
                ),
                {"z": z, "x": x, "y": y},
            )
        )
    assert "Phủ Lý" in names
    assert expected <= names  # the buffer may add neighbours just outside
    props = layer["features"][0]["properties"]
    assert {"code", "province_code", "unit_type"} <= set(props)


def test_low_zoom_tile_is_simplified_and_small(nb_client):
    x, y = _tile_of(106.0, 20.3, 5)
    r = nb_client.get(f"/tiles/communes/5/{x}/{y}.mvt")
    layer = mapbox_vector_tile.decode(r.content)["communes"]
    assert len(layer["features"]) == 129
    assert len(r.content) < 150_000


def test_etag_revalidation(nb_client):
    x, y = _tile_of(105.92, 20.54, 9)
    first = nb_client.get(f"/tiles/provinces/9/{x}/{y}.mvt")
    etag = first.headers["etag"]
    again = nb_client.get(f"/tiles/provinces/9/{x}/{y}.mvt", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag
    assert "max-age" in first.headers["cache-control"]


def test_empty_tile_and_bad_addresses(nb_client):
    r = nb_client.get("/tiles/communes/10/0/0.mvt")
    assert r.status_code == 200 and r.content == b""
    for url in ("/tiles/communes/30/0/0.mvt", "/tiles/communes/3/9/0.mvt", "/tiles/nope/1/0/0.mvt"):
        r = nb_client.get(url)
        assert (
            r.status_code in (404, 422) and r.headers["content-type"] == "application/problem+json"
        )
    fields = {
        "/tiles/communes/30/0/0.mvt": ["z"],
        "/tiles/communes/3/9/0.mvt": ["x"],
        "/tiles/communes/3/9/-1.mvt": ["x", "y"],
    }
    for url, names in fields.items():
        r = nb_client.get(url)
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == names, url


def test_tilejson(nb_client):
    doc = nb_client.get("/tiles/communes.json").json()
    assert doc["tiles"][0].endswith("/tiles/communes/{z}/{x}/{y}.mvt")
    assert doc["vector_layers"][0]["id"] == "communes"
    assert 105 < doc["bounds"][0] < 106


def test_openapi_documents_the_tile_route(nb_client):
    spec = nb_client.get("/openapi.json").json()
    op = spec["paths"]["/tiles/{collection_id}/{z}/{x}/{y}.mvt"]["get"]
    assert list(op["responses"]["200"]["content"]) == ["application/vnd.mapbox-vector-tile"]
    for status in ("401", "404", "422"):
        assert list(op["responses"][status]["content"]) == ["application/problem+json"], status
    (collection,) = [p for p in op["parameters"] if p["name"] == "collection_id"]
    assert {"provinces", "communes", "incidents"} <= set(collection["schema"]["enum"])
