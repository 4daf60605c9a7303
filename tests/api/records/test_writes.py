"""Writes through the API: sites and incidents, in scope, validated, audited (who, token,
before, after), each in one transaction; the collections follow them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gis import audit
from tests.gis.analysis_fixtures import commune_points
from tests.helpers import snapshot

TABLES = ("site", "site_status_history", "incident", "audit_log")


def _inner_point(engine, province: str) -> tuple[float, float, str]:
    with engine.connect() as conn:
        code = conn.scalar(
            sa.text("SELECT min(code) FROM admin_unit WHERE parent_code = :p"), {"p": province}
        )
    point = commune_points(engine, [code]).iloc[0]
    return float(point.lon), float(point.lat), code


def _site(client, engine, province="37", **extra) -> dict:
    lon, lat, _ = _inner_point(engine, province)
    body = {"name": "Thôn Tiền tự quản", "kind": "thôn, tổ dân phố", "components": [1, 2],
            "status": "pilot", "started_on": "2024-03-01", "lon": lon, "lat": lat}  # fmt: skip
    body.update(extra)
    r = client.post("/sites", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _log(engine, entity: str, entity_id: str) -> list[dict]:
    rows = [
        e for e in audit.entries(engine, entity=entity, limit=1000) if e["entity_id"] == entity_id
    ]
    return sorted(rows, key=lambda e: e["id"])


def test_site_lifecycle_is_audited(write_clients, write_setup):
    engine, officer = write_setup.engine, write_clients["officer37"]
    *_, code = _inner_point(engine, "37")
    site = _site(officer, engine)
    assert site["commune_code"] == code and site["kind"] == "village"
    assert site["created_by"] == "officer_nb" and len(site["history"]) == 1
    site_id = site["id"]
    changed = officer.patch(f"/sites/{site_id}", json={"components": [1, 2, 3], "notes": "đủ"})
    assert changed.status_code == 200 and changed.json()["components"] == [1, 2, 3]
    moved = officer.post(
        f"/sites/{site_id}/status",
        json={"status": "nhân rộng", "changed_on": "2025-01-15", "note": "sơ kết"},
    )
    assert moved.status_code == 200 and moved.json()["status"] == "replicated"
    read = officer.get(f"/sites/{site_id}").json()
    assert [h["status"] for h in read["history"]] == ["pilot", "replicated"]
    assert officer.delete(f"/sites/{site_id}").status_code == 204
    assert officer.get(f"/sites/{site_id}").status_code == 404

    log = _log(engine, "site", str(site_id))
    assert [e["action"] for e in log] == ["create", "update", "change_status", "delete"]
    assert {e["actor"] for e in log} == {"officer_nb"}
    assert {e["token_id"] for e in log} == {write_setup.token_ids["officer37"]}
    assert log[0]["before"] is None and log[0]["after"]["name"] == "Thôn Tiền tự quản"
    assert log[1]["before"]["components"] == [1, 2] and log[1]["after"]["components"] == [1, 2, 3]
    assert log[2]["before"]["status"] == "pilot" and log[2]["after"]["status"] == "replicated"
    assert log[3]["before"]["id"] == site_id and len(log[3]["before"]["history"]) == 2
    assert log[3]["after"] is None


def test_writes_outside_the_scope_change_nothing(write_clients, write_setup):
    engine = write_setup.engine
    site_id = _site(write_clients["officer37"], engine)["id"]
    other = write_clients["officer01"]
    before = snapshot(engine, *TABLES)
    missing = other.get("/sites/999999999")
    for r in (
        other.get(f"/sites/{site_id}"),
        other.patch(f"/sites/{site_id}", json={"notes": "x"}),
        other.post(
            f"/sites/{site_id}/status", json={"status": "suspended", "changed_on": "2025-02-01"}
        ),
        other.delete(f"/sites/{site_id}"),
    ):
        assert r.status_code == 404 and r.json()["title"] == missing.json()["title"]
    nb_lon, nb_lat, _ = _inner_point(engine, "37")
    placed = other.post("/sites", json={"name": "x", "kind": "clan", "lon": nb_lon, "lat": nb_lat})
    assert placed.status_code == 422 and "outside your scope" in placed.json()["detail"]
    hn_lon, hn_lat, _ = _inner_point(engine, "01")
    away = write_clients["officer37"].patch(
        f"/sites/{site_id}", json={"lon": hn_lon, "lat": hn_lat}
    )
    assert away.status_code == 422 and "outside your scope" in away.json()["detail"]
    incident = other.post(
        "/incidents",
        json={
            "occurred_at": "2024-05-01T10:00:00",
            "category": "crime",
            "lon": nb_lon,
            "lat": nb_lat,
        },
    )
    assert incident.status_code == 422
    assert snapshot(engine, *TABLES) == before
    # an admin has no limit
    assert (
        write_clients["admin"].patch(f"/sites/{site_id}", json={"notes": "kiểm tra"}).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "lon": 105.9, "lat": 20.3}, "kind"),
        ({"name": "x", "kind": "clan", "lon": 105.9, "lat": 200}, "lat"),
        ({"name": "", "kind": "clan", "lon": 105.9, "lat": 20.3}, "name"),
        ({"name": "x", "kind": "clan", "lon": 105.9, "lat": 20.3, "colour": "red"}, "colour"),
    ],
)
def test_invalid_site_names_the_field(write_clients, body, field):
    r = write_clients["officer37"].post("/sites", json=body)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert field in r.json()["detail"]
    assert field in {e["field"] for e in r.json()["errors"]}


def test_domain_errors_are_422_problems(write_clients, write_setup):
    officer, engine = write_clients["officer37"], write_setup.engine
    before = snapshot(engine, *TABLES)
    lon, lat, _ = _inner_point(engine, "37")
    r = officer.post(
        "/sites", json={"name": "x", "kind": "câu lạc bộ bóng đá", "lon": lon, "lat": lat}
    )
    assert r.status_code == 422 and "unknown site kind" in r.json()["detail"] and r.json()["hint"]
    assert r.json()["errors"] == [{"field": "kind", "in": "body", "message": r.json()["detail"]}]
    r = officer.post("/sites", json={"name": "x", "kind": "clan", "lon": 2.35, "lat": 48.85})
    assert r.status_code == 422 and "outside Vietnam" in r.json()["detail"]
    assert [e["field"] for e in r.json()["errors"]] == ["lon", "lat"]
    r = officer.post("/sites", json={"name": "x", "kind": "clan", "components": [7], "lon": lon,
                                     "lat": lat})  # fmt: skip
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["components"]
    r = officer.patch("/sites/1", json={"status": "pilot"})  # not here
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["status"]
    assert snapshot(engine, *TABLES) == before
    site_id = _site(officer, engine)["id"]
    early = officer.post(
        f"/sites/{site_id}/status", json={"status": "suspended", "changed_on": "2020-01-01"}
    )
    assert early.status_code == 422 and "before" in early.json()["detail"]
    assert [e["field"] for e in early.json()["errors"]] == ["changed_on"]


def test_incident_create_then_update_is_audited(write_clients, write_setup):
    officer, engine = write_clients["officer37"], write_setup.engine
    lon, lat, code = _inner_point(engine, "37")
    body = {"occurred_at": "14h30 ngày 12/3/2024", "category": "Trộm cắp tài sản", "lon": lon,
            "lat": lat, "external_ref": "VV-API-1"}  # fmt: skip
    first = officer.post("/incidents", json=body)
    assert first.status_code == 201, first.text
    made = first.json()
    assert made["category"] == "crime" and made["subcategory"] == "Trộm cắp tài sản"
    assert made["commune_code"] == code and made["occurred_at"].startswith("2024-03-12T")
    again = officer.post("/incidents", json={**body, "category": "other"})
    assert again.json()["id"] == made["id"] and again.json()["category"] == "other"
    log = _log(engine, "incident", f"37/{made['id']}")
    assert [e["action"] for e in log] == ["create", "update"]
    assert log[1]["before"]["category"] == "crime" and log[1]["after"]["category"] == "other"
    assert {e["token_id"] for e in log} == {write_setup.token_ids["officer37"]}
    assert write_clients["viewer"].post("/incidents", json=body).status_code == 403
    assert write_clients["anonymous"].post("/incidents", json=body).status_code == 401


def test_collections_follow_the_writes(write_clients, write_setup):
    engine = write_setup.engine
    with engine.connect() as conn:
        code = conn.scalar(sa.text("SELECT max(code) FROM admin_unit WHERE parent_code = '37'"))
    point = commune_points(engine, [code]).iloc[0]

    def coverage() -> dict:
        r = write_clients["viewer"].get(f"/collections/coverage/items/{code}")
        return r.json()["properties"]

    assert coverage()["covered"] is False
    _site(write_clients["officer37"], engine, lon=float(point.lon), lat=float(point.lat),
          status="replicated", components=[1, 4])  # fmt: skip
    now = coverage()
    assert now["covered"] is True and now["components"] == "1,4" and now["status"] == "replicated"


def test_ogc_datetime_without_offset_is_vietnam_time(write_clients, write_setup):
    officer, engine = write_clients["officer37"], write_setup.engine
    lon, lat, _ = _inner_point(engine, "37")
    # 02:00 on 10 June in Vietnam is 19:00 UTC on 9 June: a UTC reading puts it a day early
    body = {"occurred_at": "2024-06-10T02:00:00+07:00", "category": "crime", "lon": lon,
            "lat": lat, "external_ref": "VV-TZ-0200"}  # fmt: skip
    made = officer.post("/incidents", json=body)
    assert made.status_code == 201, made.text
    incident_id = str(made.json()["id"])

    def found(when: str) -> bool:
        r = officer.get("/collections/incidents/items", params={"datetime": when, "limit": 1000})
        assert r.status_code == 200, r.text
        return incident_id in {str(f["id"]) for f in r.json()["features"]}

    assert found("2024-06-10")  # the whole local day
    assert not found("2024-06-09")
    assert found("2024-06-10/2024-06-10") and not found("2024-06-08/2024-06-09")
    assert found("2024-06-10T01:30:00/2024-06-10T02:30:00")  # naive: local
    assert not found("2024-06-10T01:30:00Z/..")  # an explicit Z is kept: 08:30 local
    assert found("2024-06-09T18:30:00Z/2024-06-09T19:30:00Z")
    assert found("2024-06-10T02:00:00")  # an instant, local


def test_incident_domain_errors_name_the_field(write_clients, write_setup):
    officer, engine = write_clients["officer37"], write_setup.engine
    before = snapshot(engine, *TABLES)
    lon, lat, _ = _inner_point(engine, "37")
    good = {"occurred_at": "2024-05-01T10:00:00", "category": "crime", "lon": lon, "lat": lat}
    cases = [
        ({"occurred_at": "hôm qua lúc nào đó"}, ["occurred_at"]),
        ({"category": "chuyện lạ"}, ["category"]),
        ({"lon": 2.35, "lat": 48.85}, ["lon", "lat"]),
    ]
    for change, fields in cases:
        r = officer.post("/incidents", json={**good, **change})
        assert r.status_code == 422, (change, r.text)
        assert [e["field"] for e in r.json()["errors"]] == fields, (change, r.json())
        assert {e["in"] for e in r.json()["errors"]} == {"body"}
    assert snapshot(engine, *TABLES) == before
