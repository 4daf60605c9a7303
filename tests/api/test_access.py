"""Every route has an access decision; the role matrix holds; login, tokens, lockout."""

from __future__ import annotations

from api.security import POLICIES, route_policies
from tests.api.conftest import PASSWORD, ROLES

RANK = {"anonymous": -1, "viewer": 0, "officer": 1, "admin": 2}
NEEDS = {"public": -1, "viewer": 0, "officer": 1, "admin": 2}


def _sample_path(path: str) -> str:
    samples = {"collection_id": "communes", "feature_id": "13285", "z": "0", "x": "0", "y": "0",
               "site_id": "1", "batch_id": "1", "kind": "sites"}  # fmt: skip
    for name, value in samples.items():
        path = path.replace("{" + name + "}", value)
    return path


def test_every_route_declares_a_policy(api_app):
    routes = route_policies(api_app)
    assert len(routes) >= 10
    assert [path for path, _, policy in routes if policy not in POLICIES] == []


def test_role_matrix_on_every_get_route(api_app, clients):
    checked = 0
    for path, methods, policy in route_policies(api_app):
        if "GET" not in methods:
            continue
        needed = NEEDS[policy]
        path = _sample_path(path)
        for who, client in clients.items():
            status = client.get(path).status_code
            if RANK[who] < needed:
                assert status in (401, 403, 404), (who, path, status)
            else:
                assert status not in (401, 403, 500), (who, path, status)
            checked += 1
    assert checked >= 4 * 8


WRITE_PREFIXES = ("/sites", "/incidents", "/imports", "/geocode")


def test_role_matrix_on_the_write_routes(api_app, clients):
    """POST/PATCH/DELETE of records, uploads and geocoding: officers and admins only (an
    empty body then fails validation or finds nothing, but is never refused access)."""
    checked = 0
    for path, methods, policy in route_policies(api_app):
        if not path.startswith(WRITE_PREFIXES) or methods <= {"GET", "HEAD"}:
            continue
        assert policy == "officer", (path, policy)
        for method in methods - {"GET", "HEAD"}:
            for who, client in clients.items():
                kwargs = {} if method == "DELETE" else {"json": {}}
                status = client.request(method, _sample_path(path), **kwargs).status_code
                expected = {"anonymous": {401}, "viewer": {403}}.get(who, {404, 422})
                assert status in expected, (who, method, path, status)
                checked += 1
    assert checked >= 4 * 8


def test_login_issues_a_token_and_cookie(clients):
    anonymous = clients["anonymous"]
    r = anonymous.post("/auth/login", data={"username": ROLES["viewer"], "password": PASSWORD})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    assert "httponly" in r.headers["set-cookie"].lower()
    token = r.json()["access_token"]
    me = anonymous.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json() == {"username": ROLES["viewer"], "role": "viewer", "scope": None}
    out = anonymous.post("/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert out.status_code == 200
    after = anonymous.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 401 and after.headers["www-authenticate"] == "Bearer"
    anonymous.cookies.clear()


def test_wrong_password_then_lockout(clients, api_engine):
    anonymous = clients["anonymous"]
    from gis import auth

    auth.add_user(api_engine, "lockme", PASSWORD, "viewer")
    for _ in range(auth.LOCKOUT_FAILURES):
        r = anonymous.post("/auth/login", data={"username": "lockme", "password": "nope nope nope"})
        assert r.status_code == 401
    r = anonymous.post("/auth/login", data={"username": "lockme", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


def test_bad_token_is_401_not_500(clients):
    r = clients["anonymous"].get("/collections", headers={"Authorization": "Bearer tq_forged"})
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"


def test_a_route_without_policy_is_refused(api_url, api_engine, tmp_path):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from gis.settings import Settings

    settings = Settings(database_url=api_url.render_as_string(hide_password=False), home=tmp_path)
    app = create_app(settings, engine=api_engine)

    @app.get("/forgotten")
    def forgotten() -> dict:
        return {"secret": True}

    with TestClient(app) as client:
        r = client.get("/forgotten")
    assert r.status_code == 500 and "secret" not in r.text
    assert any(path == "/forgotten" and policy is None for path, _, policy in route_policies(app))
