"""Scope leaks: an officer of Hà Nội sees nothing of Ninh Bình through items, bbox queries,
item ids, extents, tiles or statistics, and the answer never confirms that it exists (nor
does a write with a reference held outside the scope)."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
import sqlalchemy as sa

from tests.api.records import conftest as fx
from tests.gis.analysis_fixtures import commune_points
from tests.helpers import snapshot

SCOPED = ("sites", "incidents", "coverage", "hotspots", "hotspots-grid", "candidates",
          "communes", "provinces")  # fmt: skip
NB_BBOX = "105.5,19.8,106.7,20.8"


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _ids(client, collection: str, **params) -> set[str]:
    r = client.get(
        f"/collections/{collection}/items",
        params={"limit": 10_000, "skipGeometry": "true", **params},
    )
    assert r.status_code == 200, r.text
    return {f["id"] for f in r.json()["features"]}


def _provinces_of(engine, collection: str, ids: set[str]) -> set[str]:
    """Provinces of the features (by their commune, point or cell) straight from PostGIS."""
    sql = {
        "sites": "SELECT province_code FROM site WHERE id::text = ANY(:ids)",
        "incidents": "SELECT province_code FROM incident WHERE id::text = ANY(:ids)",
        "hotspots-grid": "SELECT province_code FROM h3_cell WHERE cell = ANY(:ids)",
        "provinces": "SELECT code FROM admin_unit WHERE code = ANY(:ids)",
    }.get(collection, "SELECT parent_code FROM admin_unit WHERE code = ANY(:ids)")
    with engine.connect() as conn:
        return set(conn.scalars(sa.text(sql), {"ids": sorted(ids)}))


@pytest.mark.parametrize("collection", SCOPED)
def test_items_stay_inside_the_scope(data_clients, data_setup, collection):
    admin = _ids(data_clients["admin"], collection)
    nb = _ids(data_clients["officer37"], collection)
    hn = _ids(data_clients["officer01"], collection)
    assert nb and hn and not nb & hn and nb | hn == admin
    assert _provinces_of(data_setup.engine, collection, nb) == {"37"}
    assert _provinces_of(data_setup.engine, collection, hn) == {"01"}
    # a bbox over Ninh Bình (and the south of Hà Nội) gives the Hà Nội officer no
    # Ninh Bình feature, though there are some in it
    boxed = _ids(data_clients["officer01"], collection, bbox=NB_BBOX)
    assert boxed <= hn and not boxed & nb
    assert _ids(data_clients["admin"], collection, bbox=NB_BBOX) & nb
    assert _ids(data_clients["officer37"], collection, bbox=NB_BBOX) == nb


@pytest.mark.parametrize("collection", ["sites", "incidents", "hotspots", "candidates"])
def test_an_item_outside_the_scope_is_not_found(data_clients, collection):
    nb_id = sorted(_ids(data_clients["officer37"], collection))[0]
    outside = data_clients["officer01"].get(f"/collections/{collection}/items/{nb_id}")
    missing = data_clients["officer01"].get(f"/collections/{collection}/items/no-such-id")
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["title"] == missing.json()["title"]
    assert outside.json()["hint"] == missing.json()["hint"]
    assert (
        data_clients["officer37"].get(f"/collections/{collection}/items/{nb_id}").status_code == 200
    )


def test_extent_is_that_of_the_scope(data_clients):
    hn = data_clients["officer01"].get("/collections/sites").json()
    minx, miny, maxx, maxy = hn["extent"]["spatial"]["bbox"][0]
    assert 105.2 < minx <= maxx < 106.1 and 20.5 < miny <= maxy < 21.5  # Hà Nội only
    nb = data_clients["officer37"].get("/collections/sites").json()
    assert nb["extent"]["spatial"]["bbox"][0][1] < 20.5


@pytest.mark.parametrize("collection", ["sites", "incidents", "coverage", "hotspots"])
def test_tiles_leave_out_what_is_outside_the_scope(data_clients, collection):
    x, y = _tile_of(105.97, 20.25, 7)  # the whole of Ninh Bình and more
    seen = {}
    for who in ("officer37", "officer01", "admin"):
        r = data_clients[who].get(f"/tiles/{collection}/7/{x}/{y}.mvt")
        assert r.status_code == 200
        layer = mapbox_vector_tile.decode(r.content).get(collection, {"features": []})
        seen[who] = {str(f["properties"].get("province_code")) for f in layer["features"]}
    assert seen["officer37"] == {"37"}
    assert "37" not in seen["officer01"]
    assert "37" in seen["admin"]


def test_statistics_of_another_province_are_not_found(data_clients):
    r = data_clients["officer01"].get("/incidents/stats", params={"province": "37"})
    assert r.status_code == 404
    own = data_clients["officer01"].get("/incidents/stats").json()
    assert own["total"] == sum(fx.SMALL.values())
    assert {c["code"][:2] for c in own["top_communes"]} == {"00"}


def test_a_reference_held_outside_the_scope_is_not_confirmed(write_clients, write_setup):
    engine, hanoi = write_setup.engine, write_setup.hanoi
    points = commune_points(engine, [hanoi["one"], hanoi["two"]]).set_index("code")

    def body(key: str, ref: str) -> dict:
        lon, lat = points.loc[hanoi[key], ["lon", "lat"]]
        return {"occurred_at": "2024-05-01T10:00:00", "category": "crime", "lon": lon,
                "lat": lat, "external_ref": ref}  # fmt: skip

    held = write_clients["officer01"].post("/incidents", json=body("two", "VV-SCOPE-1"))
    assert held.status_code == 201, held.text
    officer = write_clients["officer01_one"]  # scoped to commune 'one' of Hà Nội only
    before = snapshot(engine, "incident", "audit_log")
    taken = officer.post("/incidents", json=body("one", "VV-SCOPE-1"))
    elsewhere = officer.post("/incidents", json=body("two", "VV-SCOPE-NONE"))
    assert taken.status_code == elsewhere.status_code == 422
    # the same answer as any write outside the scope: nothing says the reference exists
    assert taken.json() == elsewhere.json()
    assert "VV-SCOPE-1" not in taken.text and "exist" not in taken.text
    assert snapshot(engine, "incident", "audit_log") == before  # the other record untouched
    with engine.connect() as conn:
        commune = conn.scalar(
            sa.text("SELECT commune_code FROM incident WHERE external_ref = 'VV-SCOPE-1'")
        )
    assert commune == hanoi["two"]
