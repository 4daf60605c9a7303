"""Geocoding through the API: one address, a batch in order, limits, roles."""

from __future__ import annotations

from api.models.geocode import MAX_BATCH


def test_one_address(write_clients):
    r = write_clients["officer37"].post("/geocode", json={"address": "phuong Nam Dinh, Ninh Binh"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "matched" and body["commune_code"] == "13669"
    assert body["province_code"] == "37" and 105 < body["lon"] < 107 and 19 < body["lat"] < 21


def test_a_batch_keeps_the_order(write_clients):
    texts = [
        "xã Gia Hòa, huyện Gia Viễn, Ninh Bình",
        "20°15'N 105°58'E",
        "???",
        "xa Gia Hoa, Gia Vien",
    ]
    r = write_clients["officer37"].post("/geocode/batch", json={"addresses": texts})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["text"] for x in results] == texts
    assert results[0]["commune_code"] == "14464" and results[0]["legacy"]
    assert results[1]["precision"] == "coordinates"
    assert results[2]["status"] == "invalid" and results[2]["reason"]


def test_limits_and_roles(write_clients):
    officer = write_clients["officer37"]
    too_many = officer.post("/geocode/batch", json={"addresses": ["Ninh Bình"] * (MAX_BATCH + 1)})
    assert too_many.status_code == 422 and "addresses" in too_many.json()["detail"]
    assert officer.post("/geocode/batch", json={"addresses": []}).status_code == 422
    assert officer.post("/geocode", json={"address": "x" * 3000}).status_code == 422
    assert (
        write_clients["viewer"].post("/geocode", json={"address": "Ninh Bình"}).status_code == 403
    )
    assert (
        write_clients["anonymous"].post("/geocode", json={"address": "Ninh Bình"}).status_code
        == 401
    )
