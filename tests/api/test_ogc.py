"""OGC API – Features responses: shapes, links, counts, and filters checked against PostGIS."""

from __future__ import annotations

import sqlalchemy as sa

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
    cases = {
        "/collections/nope": 404,
        "/collections/communes/items/99999": 404,
        "/collections/communes/items?bbox=1,2,3": 422,
        "/collections/communes/items?limit=0": 422,
        "/collections/communes/items?limit=1000000": 422,
        "/collections/communes/items?nonsense=1": 422,
        "/collections/communes/items?datetime=2024-01-01": 422,
        "/collections/communes/items?bbox=200,0,100,10": 422,
    }
    for url, status in cases.items():
        r = nb_client.get(url)
        assert r.status_code == status, (url, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["detail"]
