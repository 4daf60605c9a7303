"""Every route has an access decision; the role matrix holds; login, tokens, lockout."""

from __future__ import annotations

import pytest

from api.security import route_policies
from gis import auth
from tests.api.conftest import PASSWORD, ROLES

RANK = {"anonymous": 0, "viewer": 1, "officer": 2, "admin": 3}

# Who may call each route, decided here and not read from the routes' own declarations: a
# route declared too open (or too closed) fails, and so does a route missing from this list.
MINIMUM_ROLE = {
    ("GET", "/"): "anonymous",
    ("GET", "/ogc"): "anonymous",
    ("GET", "/conformance"): "anonymous",
    ("GET", "/static/dashboard.css"): "anonymous",
    ("GET", "/static/dashboard.js"): "anonymous",
    ("GET", "/static/favicon.svg"): "anonymous",
    ("POST", "/auth/login"): "anonymous",
    ("POST", "/login"): "anonymous",
    ("POST", "/auth/logout"): "viewer",
    ("POST", "/logout"): "viewer",
    ("GET", "/auth/me"): "viewer",
    ("GET", "/collections"): "viewer",
    ("GET", "/collections/{collection_id}"): "viewer",
    ("GET", "/collections/{collection_id}/items"): "viewer",
    ("GET", "/collections/{collection_id}/items/{feature_id}"): "viewer",
    ("GET", "/tiles/{collection_id}.json"): "viewer",
    ("GET", "/tiles/{collection_id}/{z}/{x}/{y}.mvt"): "viewer",
    ("GET", "/incidents/stats"): "viewer",
    ("GET", "/maps/coverage"): "viewer",
    ("GET", "/maps/hotspots"): "viewer",
    ("GET", "/maps/planning"): "viewer",
    **{("GET", f"/figures/{name}.{ext}"): "viewer"
       for name in ("base-map", "coverage", "hotspots", "planning") for ext in ("png", "pdf")},
    ("POST", "/candidates/plan"): "officer",
    ("POST", "/sites"): "officer",
    ("GET", "/sites/{site_id}"): "officer",
    ("PATCH", "/sites/{site_id}"): "officer",
    ("DELETE", "/sites/{site_id}"): "officer",
    ("POST", "/sites/{site_id}/status"): "officer",
    ("POST", "/incidents"): "officer",
    ("POST", "/imports/{kind}"): "officer",
    ("GET", "/imports/{batch_id}"): "officer",
    ("POST", "/geocode"): "officer",
    ("POST", "/geocode/batch"): "officer",
    ("GET", "/admin/users"): "admin",
    ("POST", "/admin/users"): "admin",
    ("POST", "/admin/users/{name}/disable"): "admin",
    ("GET", "/admin/tokens"): "admin",
    ("POST", "/admin/tokens"): "admin",
    ("DELETE", "/admin/tokens/{token_id}"): "admin",
}  # fmt: skip
DECLARED = {"public": "anonymous", "viewer": "viewer", "officer": "officer", "admin": "admin"}
SAMPLES = {"collection_id": "communes", "feature_id": "13285", "z": "0", "x": "0", "y": "0",
           "site_id": "1", "batch_id": "1", "kind": "sites", "name": "no-such-user",
           "token_id": "0"}  # fmt: skip
# Record writes that an allowed caller sends empty: they fail validation or find nothing.
RECORD_WRITES = ("/sites", "/incidents", "/imports", "/geocode")


def _sample_path(path: str) -> str:
    for name, value in SAMPLES.items():
        path = path.replace("{" + name + "}", value)
    return path


def _app_routes(app) -> dict[tuple[str, str], str | None]:
    return {(method, path): policy for path, methods, policy in route_policies(app)
            for method in methods - {"HEAD"}}  # fmt: skip


def _mismatches(routes: dict[tuple[str, str], str | None]) -> dict[str, object]:
    """Routes missing from the table, table rows with no route, declarations that differ."""
    return {
        "missing": sorted(set(routes) - set(MINIMUM_ROLE)),
        "gone": sorted(set(MINIMUM_ROLE) - set(routes)),
        "differing (declared, expected)": {
            route: (DECLARED.get(policy), MINIMUM_ROLE.get(route))
            for route, policy in routes.items()
            if route in MINIMUM_ROLE and DECLARED.get(policy) != MINIMUM_ROLE[route]
        },
    }


def test_every_route_is_in_the_table_with_its_minimum_role(api_app):
    assert _mismatches(_app_routes(api_app)) == {
        "missing": [], "gone": [], "differing (declared, expected)": {},
    }  # fmt: skip


def test_the_table_check_can_fail(api_app):
    """A sensitive route declared `viewer`, a new undeclared route: both are caught."""
    routes = _app_routes(api_app)
    routes[("DELETE", "/sites/{site_id}")] = "viewer"
    routes[("GET", "/forgotten")] = None
    found = _mismatches(routes)
    assert found["missing"] == [("GET", "/forgotten")]
    assert found["differing (declared, expected)"] == {
        ("DELETE", "/sites/{site_id}"): ("viewer", "officer")
    }


@pytest.fixture(scope="module")
def fresh_headers(api_engine):
    """A new token per role for each call: a logout must not revoke the shared tokens."""

    def make(who: str) -> dict[str, str]:
        if who == "anonymous":
            return {"Authorization": ""}
        return {"Authorization": f"Bearer {auth.issue_token(api_engine, ROLES[who])[0]}"}

    return make


@pytest.mark.parametrize("route", sorted(MINIMUM_ROLE), ids=" ".join)
def test_role_matrix(route, clients, fresh_headers):
    """Below the minimum: 401 without an account, 403 with one; at or above it: let in."""
    method, template = route
    path, needed = _sample_path(template), RANK[MINIMUM_ROLE[route]]
    for who, client in clients.items():
        kwargs = {} if method in ("GET", "DELETE") else {"json": {}}
        if method != "GET":
            kwargs["headers"] = fresh_headers(who)
        status = client.request(method, path, **kwargs).status_code
        if RANK[who] < needed:
            assert status == (401 if who == "anonymous" else 403), (who, method, path, status)
        elif method != "GET" and template.startswith(RECORD_WRITES):
            assert status in (404, 422), (who, method, path, status)
        else:
            assert status not in (401, 403, 500), (who, method, path, status)


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


def test_one_address_many_names_gets_429(api_app, api_engine, monkeypatch):
    """One password tried across many names from one address: 429 with Retry-After; other
    addresses still log in."""
    from fastapi.testclient import TestClient

    monkeypatch.setattr(auth, "LOCKOUT_CLIENT_FAILURES", 3)
    with TestClient(api_app, client=("198.51.100.20", 40000)) as sprayer:
        for name in ("an", "binh", "chi"):
            r = sprayer.post("/auth/login", data={"username": name, "password": PASSWORD})
            assert r.status_code == 401
        r = sprayer.post("/auth/login", data={"username": ROLES["viewer"], "password": PASSWORD})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert r.headers["content-type"] == "application/problem+json"
        assert "198.51.100.20" in r.text
    with TestClient(api_app, client=("198.51.100.21", 40000)) as other:
        r = other.post("/auth/login", data={"username": ROLES["viewer"], "password": PASSWORD})
        assert r.status_code == 200


def test_admin_routes_change_accounts_with_their_audit_row(clients, api_engine, tokens):
    """Each admin write is one transaction with one audit row naming the admin and the token;
    bad input is a 422 problem naming the field and changes nothing."""
    from gis import audit

    admin = clients["admin"]
    admin_token = auth.principal_for_token(api_engine, tokens["admin"]).token_id

    def log(entity: str, entity_id: str) -> list[dict]:
        return sorted((e for e in audit.entries(api_engine, entity=entity, limit=1000)
                       if e["entity_id"] == entity_id), key=lambda e: e["id"])  # fmt: skip

    body = {"username": "api.officer", "password": PASSWORD, "role": "officer", "scope": ["37"]}
    r = admin.post("/admin/users", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["scope"] == ["37"] and "password" not in r.text and "hash" not in r.text
    (entry,) = log("app_user", "api.officer")
    assert (entry["actor"], entry["token_id"], entry["action"]) == (
        ROLES["admin"], admin_token, "create",
    )  # fmt: skip
    assert entry["before"] is None and entry["after"]["role"] == "officer"
    for bad, field in (({**body, "username": "x2", "password": "short"}, "password"),
                       ({**body, "username": "x3", "role": "root"}, "role"),
                       ({**body, "username": "x4", "scope": ["99999"]}, "scope"),
                       (body, "username")):  # fmt: skip
        r = admin.post("/admin/users", json=bad)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        assert field in r.text, (field, r.text)
    assert {"x2", "x3", "x4"}.isdisjoint(u["username"] for u in admin.get("/admin/users").json())
    assert len(log("app_user", "api.officer")) == 1

    r = admin.post("/admin/tokens", json={"username": "api.officer", "name": "sync", "days": 7})
    assert r.status_code == 201, r.text
    issued = r.json()
    assert auth.principal_for_token(api_engine, issued["token"]).username == "api.officer"
    listed = admin.get("/admin/tokens", params={"user": "api.officer"}).json()
    assert [t["id"] for t in listed] == [issued["id"]] and issued["token"] not in str(listed)
    assert [e["action"] for e in log("api_token", str(issued["id"]))] == ["create"]
    assert admin.delete(f"/admin/tokens/{issued['id']}").status_code == 200
    r = admin.delete(f"/admin/tokens/{issued['id']}")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert [e["action"] for e in log("api_token", str(issued["id"]))] == ["create", "revoke"]
    with pytest.raises(auth.NotAuthenticated):
        auth.principal_for_token(api_engine, issued["token"])

    r = admin.post("/admin/users/api.officer/disable")
    assert r.status_code == 200 and r.json()["disabled"] is True
    entry = log("app_user", "api.officer")[-1]
    assert (entry["action"], entry["before"], entry["after"]) == (
        "disable", {"disabled": False}, {"disabled": True},
    )  # fmt: skip
    assert admin.post("/admin/users/ghost/disable").status_code == 404
    assert clients["officer"].post("/admin/users", json=body).status_code == 403
