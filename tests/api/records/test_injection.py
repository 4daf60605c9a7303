"""SQL injection strings in every text field and filter: stored verbatim, never run, no 5xx."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.gis.analysis_fixtures import commune_points
from tests.helpers import count

INJECTIONS = (
    "'; DROP TABLE site; --",
    "x' OR '1'='1",
    '"; DELETE FROM incident WHERE "1"="1',
    "1); TRUNCATE audit_log; --",
    "$$; SELECT pg_sleep(10); $$",
    "Robert'); DROP TABLE app_user;--",
    "%' UNION SELECT password_hash FROM app_user --",
    "\\'; SELECT 1; --",
)


@pytest.fixture(scope="module")
def nb_point(write_setup) -> tuple[float, float]:
    with write_setup.engine.connect() as conn:
        code = conn.scalar(sa.text("SELECT min(code) FROM admin_unit WHERE parent_code = '37'"))
    point = commune_points(write_setup.engine, [code]).iloc[0]
    return float(point.lon), float(point.lat)


def _intact(engine) -> None:
    with engine.connect() as conn:
        tables = set(conn.scalars(sa.text("SELECT tablename FROM pg_tables")))
    assert {"site", "incident", "app_user", "audit_log"} <= tables
    assert count(engine, "SELECT count(*) FROM app_user") >= 4


@pytest.mark.parametrize("evil", INJECTIONS)
def test_site_text_fields_store_injection_verbatim(write_clients, write_setup, nb_point, evil):
    officer = write_clients["officer37"]
    body = {"name": evil, "kind": "clan", "host_unit": evil, "notes": evil, "ref": evil,
            "started_on": "2024-01-01",
            "address": evil, "lon": nb_point[0], "lat": nb_point[1]}  # fmt: skip
    r = officer.post("/sites", json=body)
    assert r.status_code == 201, r.text
    site = r.json()
    assert site["name"] == site["host_unit"] == site["notes"] == site["ref"] == evil
    assert site["address"] == evil
    r = officer.patch(f"/sites/{site['id']}", json={"name": evil + "!", "notes": evil})
    assert r.status_code == 200 and r.json()["name"] == evil + "!"
    change = {"status": "pilot", "changed_on": "2025-01-01", "note": evil}
    r = officer.post(f"/sites/{site['id']}/status", json=change)
    assert r.status_code == 200 and r.json()["history"][-1]["note"] == evil
    assert officer.post("/sites", json={**body, "kind": evil}).status_code == 422
    with write_setup.engine.connect() as conn:
        stored = conn.scalar(sa.text("SELECT notes FROM site WHERE id = :id"), {"id": site["id"]})
    assert stored == evil
    _intact(write_setup.engine)


@pytest.mark.parametrize("evil", INJECTIONS)
def test_incident_fields_store_injection_verbatim(write_clients, write_setup, nb_point, evil):
    r = write_clients["officer37"].post(
        "/incidents",
        json={"occurred_at": "2024-06-01T09:00:00+07:00", "category": "crime",
              "subcategory": evil, "source": evil, "external_ref": evil, "address": evil,
              "lon": nb_point[0], "lat": nb_point[1]},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["subcategory"] == r.json()["source"] == r.json()["external_ref"] == evil
    bad = write_clients["officer37"].post(
        "/incidents", json={"occurred_at": evil, "category": evil, "address": evil}
    )
    assert bad.status_code == 422
    _intact(write_setup.engine)


@pytest.mark.parametrize("evil", INJECTIONS)
def test_filters_and_parameters_take_injection_as_values(write_clients, write_setup, evil):
    client = write_clients["admin"]
    for collection in ("sites", "communes", "incidents", "coverage"):
        r = client.get(f"/collections/{collection}/items", params={"province_code": evil})
        assert r.status_code == 200 and r.json()["numberMatched"] == 0, r.text
    assert client.get("/collections/sites/items", params={"name": evil}).status_code == 200
    for params in ({"bbox": evil}, {"datetime": evil}, {evil: "1"}, {"limit": evil}):
        r = client.get("/collections/sites/items", params=params)
        assert r.status_code == 400, (params, r.text)  # OGC Core: 400
    assert client.get(f"/collections/{evil}/items").status_code == 404
    assert client.get(f"/collections/sites/items/{evil}").status_code == 404
    assert client.get(f"/tiles/{evil}/1/0/0.mvt").status_code == 404
    r = client.get("/incidents/stats", params={"province": evil[:20]})
    assert r.status_code == 200 and r.json()["total"] == 0
    r = write_clients["officer37"].post("/geocode/batch", json={"addresses": [evil, evil]})
    assert r.status_code == 200 and r.json()["results"][0]["status"] in ("unmatched", "invalid")
    r = write_clients["officer37"].post(
        "/imports/incidents",
        files={"file": (evil + ".csv", f"Mã vụ việc,Ngày xảy ra,Loại vụ việc,Địa chỉ\n{evil},"
                        f"12/03/2024,{evil},{evil}\n".encode(), "text/csv")},
        data={"source": evil, "mapping": f"address={evil}", "dry_run": "true"},
    )  # fmt: skip
    assert r.status_code in (200, 422) and r.headers["content-type"].startswith("application/")
    _intact(write_setup.engine)


def test_nul_characters_never_give_500(write_clients, nb_point):
    client = write_clients["officer37"]
    r = client.post("/sites", json={"name": "a\x00b", "kind": "clan", "lon": nb_point[0],
                                    "lat": nb_point[1]})  # fmt: skip
    # NFC normalisation replaces control characters; what is kept holds no NUL
    assert r.status_code == 201 and "\x00" not in r.json()["name"]
    r = client.get("/collections/sites/items", params={"name": "a\x00b"})
    assert r.status_code == 400 and "NUL" in r.text  # OGC Core: 400
    r = client.get("/sites/99999999999999999999")  # beyond bigint: compared, not found
    assert r.status_code == 404


@pytest.mark.parametrize("evil", INJECTIONS)
def test_login_fields_take_injection_as_values(write_setup, evil):
    """As user name and password, on the API and the dashboard's form: a failed login (401),
    the attempt stored verbatim, no account changed or opened."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.csrf import LOGIN_COOKIE
    from gis import auth

    app = create_app(write_setup.settings, engine=write_setup.engine)
    # an account and an address of its own: these failures must lock out no other test
    number = INJECTIONS.index(evil) + 1
    account, address = f"injection.{number}", f"192.0.2.{number}"
    auth.add_user(write_setup.engine, account, "mật khẩu thử nghiệm", "viewer")
    users = count(write_setup.engine, "SELECT count(*) FROM app_user")
    with TestClient(app, client=(address, 40000), follow_redirects=False) as client:
        for username, password in ((evil, "mật khẩu thử nghiệm"), (account, evil)):
            r = client.post("/auth/login", data={"username": username, "password": password})
            assert r.status_code == 401, r.text
            assert r.headers["content-type"] == "application/problem+json"
            client.cookies.set(LOGIN_COOKIE, "form-token-for-the-test")
            form = {"username": username, "password": password,
                    "csrf_token": "form-token-for-the-test"}  # fmt: skip
            r = client.post("/login", data=form)
            assert r.status_code == 401, r.text[:500]
            assert "tuquan_session" not in r.headers.get("set-cookie", "")
    with write_setup.engine.connect() as conn:
        tried = conn.scalars(
            sa.text("SELECT username FROM login_attempt WHERE client = :c AND NOT succeeded"),
            {"c": address},
        ).all()
    assert sorted(tried) == sorted([evil, evil, account, account])
    assert count(write_setup.engine, "SELECT count(*) FROM app_user") == users
    _intact(write_setup.engine)


@pytest.mark.parametrize("evil", INJECTIONS)
def test_page_parameters_take_injection_as_values(write_clients, write_setup, evil):
    """The map pages' category and the dashboard's province: refused or answered, never run."""
    viewer = write_clients["viewer"]
    r = viewer.get("/maps/hotspots", params={"province": "37", "category": evil})
    assert r.status_code in (200, 422), r.text[:500]
    r = viewer.get("/", params={"province": evil}, headers={"Accept": "text/html"})
    assert r.status_code == 422, r.text[:500]
    _intact(write_setup.engine)


@pytest.mark.parametrize("evil", INJECTIONS)
def test_site_upload_stores_injection_verbatim(write_clients, write_setup, nb_point, evil):
    """POST /imports/sites: every text cell, the source and the mapping stored or refused as
    values; a real (not dry) import keeps the text as it came."""
    header = "Mã mô hình,Tên mô hình,Loại mô hình,Trạng thái,Ngày bắt đầu,Địa chỉ,Vĩ độ,Kinh độ"
    ref = f"INJ-{INJECTIONS.index(evil)}"
    quoted = '"' + evil.replace('"', '""') + '"'
    row = f"{ref},{quoted},Dòng họ,Thí điểm,01/06/2022,{quoted},{nb_point[1]},{nb_point[0]}"
    r = write_clients["officer37"].post(
        "/imports/sites",
        files={"file": (evil + ".csv", f"{header}\n{row}\n".encode(), "text/csv")},
        data={"source": evil},
    )
    assert r.status_code == 201, r.text[:2000]
    with write_setup.engine.connect() as conn:
        name = conn.scalar(sa.text("SELECT name FROM site WHERE ref = :r"), {"r": ref})
    assert name == evil
    r = write_clients["officer37"].post(
        "/imports/sites",
        files={"file": ("x.csv", f"{header}\n{row}\n".encode(), "text/csv")},
        data={"mapping": f"name={evil}", "dry_run": "true"},
    )
    assert r.status_code in (200, 422) and r.headers["content-type"].startswith("application/")
    _intact(write_setup.engine)
