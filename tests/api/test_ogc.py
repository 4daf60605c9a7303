"""OGC API – Features responses: shapes, links, counts, and filters checked against PostGIS."""

from __future__ import annotations

import sqlalchemy as sa

from gis import features
from tests.helpers import count


def test_landing_and_conformance(nb_client):
    landing = nb_client.get("/ogc").json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conf = nb_client.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf


def test_collections_describe_extent(nb_client):
    body = nb_client.get("/collections").json()
    ids = [c["id"] for c in body["collections"]]
    assert "provinces" in ids and "communes" in ids
    communes = nb_client.get("/collections/communes").json()
    minx, miny, maxx, maxy = communes["extent"]["spatial"]["bbox"][0]
    assert 105.5 < minx < maxx < 106.7 and 19.8 < miny < maxy < 20.8
    assert communes["crs"] == ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]


def test_items_paging_links_and_counts(nb_client):
    r = nb_client.get("/collections/communes/items", params={"limit": 50})
    assert r.headers["content-type"].startswith("application/geo+json")
    page = r.json()
    assert page["numberMatched"] == 129 and page["numberReturned"] == 50
    rels = {link["rel"]: link["href"] for link in page["links"]}
    assert "next" in rels and "prev" not in rels
    last = nb_client.get(rels["next"].replace("offset=50", "offset=100")).json()
    assert last["numberReturned"] == 29
    assert "next" not in {link["rel"] for link in last["links"]}
    ids = {f["id"] for f in page["features"]} | {f["id"] for f in last["features"]}
    assert len(ids) == 79


def test_bbox_filter_matches_postgis(nb_client, nb_engine):
    bbox = (105.90, 20.20, 106.00, 20.30)
    page = nb_client.get(
        "/collections/communes/items", params={"bbox": ",".join(map(str, bbox)), "limit": 1000}
    ).json()
    with nb_engine.connect() as conn:
        expected = set(
            conn.scalars(
                sa.text(
                    "SELECT code FROM admin_unit WHERE level='commune' AND "
                    "ST_Intersects(geom, ST_MakeEnvelope(:a, :b, :c, :d, 4326))"
                ),
                dict(zip("abcd", bbox, strict=True)),
            )
        )
    assert {f["id"] for f in page["features"]} == expected and expected
    assert page["numberMatched"] == len(expected)


def test_property_filter_and_item(nb_client, nb_engine):
    page = nb_client.get("/collections/communes/items", params={"unit_type": "Phường"}).json()
    assert page["numberMatched"] == count(
        nb_engine, "SELECT count(*) FROM admin_unit WHERE unit_type='Phường'"
    )
    one = nb_client.get("/collections/communes/items/13285").json()
    assert one["properties"]["name"] == "Phủ Lý" and one["geometry"]["type"] == "MultiPolygon"


def test_csv_output(nb_client):
    r = nb_client.get("/collections/provinces/items", params={"f": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    lines = r.text.strip().splitlines()
    assert lines[0].startswith("id,code,name") and "Ninh Bình" in lines[1]


def test_errors_are_problem_json(nb_client):
    for url in ("/collections/nope", "/collections/communes/items/99999"):
        r = nb_client.get(url)
        assert r.status_code == 404, (url, r.text)
        assert r.headers["content-type"] == "application/problem+json" and r.json()["detail"]


CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def test_invalid_query_parameters_are_400_naming_the_parameter(nb_client):
    """OGC API – Features Core: an invalid or unknown query parameter is 400 (not 422)."""
    cases = {
        "bbox=1,2,3": "bbox",
        "bbox=200,0,100,10": "bbox",
        "bbox=106,20,105,21": "bbox",
        "limit=0": "limit",
        "limit=1000000": "limit",
        "limit=ten": "limit",
        "offset=-1": "offset",
        "nonsense=1": "nonsense",
        "datetime=2024-13-45": "datetime",
        "datetime=2024-01-01": "datetime",  # communes have no time
        "f=xml": "f",
        "skipGeometry=perhaps": "skipGeometry",
        "bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857": "bbox-crs",
        "crs=EPSG:4326": "crs",
    }
    for query, name in cases.items():
        r = nb_client.get(f"/collections/communes/items?{query}")
        assert r.status_code == 400, (query, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["status"] == 400 and name in body["detail"], (query, body)
        assert name in {e["field"] for e in body["errors"]}, (query, body)
        assert {e["in"] for e in body["errors"]} == {"query"}
    r = nb_client.get("/collections/communes/items/13285", params={"crs": "EPSG:3405"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "crs"
    r = nb_client.get("/collections/communes/items", params={"name": "Phủ\x00Lý"})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"


def test_crs84_is_accepted(nb_client):
    r = nb_client.get(
        "/collections/communes/items",
        params={"bbox": "105.9,20.2,106.0,20.3", "bbox-crs": CRS84, "crs": CRS84, "limit": 5},
    )
    assert r.status_code == 200 and r.json()["numberReturned"] == 5
    assert nb_client.get("/collections/communes/items/13285", params={"crs": CRS84}).is_success


def test_openapi_documents_errors_and_collections(nb_client):
    spec = nb_client.get("/openapi.json").json()
    ids = [c.id for c in features.collections(include_sensitive=True)]
    for path in (
        "/collections/{collection_id}",
        "/collections/{collection_id}/items",
        "/collections/{collection_id}/items/{feature_id}",
    ):
        op = spec["paths"][path]["get"]
        (collection,) = [p for p in op["parameters"] if p["name"] == "collection_id"]
        assert collection["schema"]["enum"] == ids, path
        assert "422" not in op["responses"], path  # OGC routes answer 400, never 422
        for status in ("401", "404"):
            assert list(op["responses"][status]["content"]) == ["application/problem+json"]
    items = spec["paths"]["/collections/{collection_id}/items"]["get"]
    assert list(items["responses"]["400"]["content"]) == ["application/problem+json"]
    assert list(items["responses"]["200"]["content"]) == ["application/geo+json", "text/csv"]
    names = {p["name"] for p in items["parameters"]}
    assert {"bbox", "bbox-crs", "crs", "datetime", "limit", "offset"} <= names
