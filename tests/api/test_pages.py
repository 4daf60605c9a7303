"""The dashboard through the app: content negotiation at /, login, language, the numbers
against PostGIS, privacy, escaping, marking a candidate as planned, CSRF, security headers."""

from __future__ import annotations

import re

import sqlalchemy as sa

from api.hardening import CSP, DOCS_CSP, PAGE_CSP
from api.templating import static_url
from gis import audit, sites
from tests.api.conftest import PASSWORD
from tests.api.pages_fixtures import *  # noqa: F403
from tests.api.pages_fixtures import PAGE_USERS, form_token, logged_in, table_rows
from tests.helpers import snapshot
from tests.maps.records import EVIL_SITE


def test_english_switch_is_remembered(pages_setup):
    with logged_in(pages_setup.app, "viewer") as client:
        assert "Tổng quan độ phủ" in client.get("/").text
        english = client.get("/", params={"lang": "en"})
        assert "Coverage summary" in english.text and '<html lang="en">' in english.text
        assert "Coverage summary" in client.get("/").text  # the cookie remembers
        assert "Tổng quan độ phủ" in client.get("/", params={"lang": "vi"}).text


def test_hostile_site_name_is_escaped(pages_setup):
    site = sites.create_site(
        pages_setup.engine,
        sites.SiteInput(EVIL_SITE, "clan", status="pilot", lon=105.97, lat=20.25,
                        host_unit='"><svg onload=alert(1)>'),
        by="test",
    )  # fmt: skip
    try:
        with logged_in(pages_setup.app, "viewer") as client:
            html = client.get("/").text
    finally:
        sites.delete_site(pages_setup.engine, site["id"], by="test")
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;img src=x onerror=" in html
    assert EVIL_SITE not in html and "<script>window.pwned" not in html
    assert "<img src=x" not in html
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == [f'<script src="{static_url("dashboard.js")}" defer>']


def test_login_form_errors_and_logout(pages_setup):
    with logged_in(pages_setup.app, None) as client:
        token = form_token(client.get("/").text)
        wrong = {"username": PAGE_USERS["viewer"], "password": "not it", "csrf_token": token}
        bad = client.post("/login", data=wrong)
        assert bad.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in bad.text
        assert 'name="password"' in bad.text
        no_token = client.post("/login", data={"username": PAGE_USERS["viewer"],
                                               "password": PASSWORD})  # fmt: skip
        assert no_token.status_code == 403
    with logged_in(pages_setup.app, "viewer") as client:
        page = client.get("/")
        assert PAGE_USERS["viewer"] in page.text
        assert client.post("/logout", data={}).status_code == 403  # no token
        out = client.post("/logout", data={"csrf_token": form_token(page.text)},
                          follow_redirects=False)  # fmt: skip
        assert out.status_code == 303
        assert 'action="/login"' in client.get("/").text  # the session is gone


def _planned(engine, code: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.text(
            "SELECT id, status, commune_code, precision, created_by FROM site WHERE ref = :r"),
            {"r": f"plan-{code}"}).mappings()]  # fmt: skip


def test_officer_marks_a_candidate_as_planned_once(pages_setup):
    engine = pages_setup.engine
    with logged_in(pages_setup.app, "officer") as client:
        page = client.get("/")
        rows = table_rows(page.text, "candidate-table")
        code = next(re.search(r'data-code="(\d+)"', r).group(1) for r in rows if "plan-button" in r)
        form = {"province": "37", "commune": code, "csrf_token": form_token(page.text)}
        r = client.post("/candidates/plan", data=form, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].endswith(f"planned={code}#candidates")
        done = client.get(r.headers["location"])
        assert "Đã tạo mô hình kế hoạch" in done.text
        row = next(r for r in table_rows(done.text, "candidate-table") if f'"{code}"' in r)
        assert "Đã có kế hoạch" in row and "plan-button" not in row
        [site] = _planned(engine, code)
        assert site["status"] == "planned" and site["commune_code"] == code
        assert site["precision"] == "commune" and site["created_by"] == PAGE_USERS["officer"]
        [entry] = [e for e in audit.entries(engine, "site") if e["entity_id"] == str(site["id"])]
        assert entry["actor"] == PAGE_USERS["officer"] and entry["action"] == "create"
        assert entry["token_id"] is not None and entry["after"]["status"] == "planned"
        before = snapshot(engine, "site", "site_status_history", "audit_log")
        again = client.post("/candidates/plan", data=form)
        assert again.status_code == 422 and "already has a planned site" in again.text
        assert snapshot(engine, "site", "site_status_history", "audit_log") == before


def test_plan_refuses_forged_requests_and_viewers(pages_setup):
    engine = pages_setup.engine
    tables = ("site", "site_status_history", "audit_log")
    with logged_in(pages_setup.app, "officer") as client:
        page = client.get("/")
        code = re.search(r'data-code="(\d+)"[^>]*>(?:(?!</tr>).)*plan-button', page.text,
                         re.DOTALL).group(1)  # fmt: skip
        form = {"province": "37", "commune": code}
        before = snapshot(engine, *tables)
        assert client.post("/candidates/plan", data=form).status_code == 403  # no token
        wrong = {**form, "csrf_token": "0" * 64}
        assert client.post("/candidates/plan", data=wrong).status_code == 403
        cross = client.post(
            "/candidates/plan",
            data={**form, "csrf_token": form_token(page.text)},
            headers={"Origin": "http://evil.example"},
        )
        assert cross.status_code == 403 and "cross-site" in cross.json()["detail"]
        not_candidate = {**form, "commune": "99999", "csrf_token": form_token(page.text)}
        assert client.post("/candidates/plan", data=not_candidate).status_code == 404
        assert snapshot(engine, *tables) == before
    with logged_in(pages_setup.app, "viewer") as client:
        token = form_token(client.get("/").text)
        r = client.post("/candidates/plan", data={**form, "csrf_token": token})
        assert r.status_code == 403 and snapshot(engine, *tables) == before


def test_security_headers_on_every_kind_of_response(pages_setup):
    with logged_in(pages_setup.app, None) as client:
        responses = [
            client.get("/"),  # login page
            client.get("/", headers={"Accept": "application/json"}),
            client.get("/collections"),  # 401 problem
            client.get("/static/dashboard.css"),
            client.get("/nowhere"),  # 404
            client.post("/login", data={}),  # 422
        ]
    for r in responses:
        assert r.headers["x-frame-options"] == "SAMEORIGIN", r.url
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        assert r.headers[CSP] == PAGE_CSP
    assert "script-src 'self';" in PAGE_CSP and "unsafe-inline" not in PAGE_CSP
    with logged_in(pages_setup.app, None) as client:
        docs = client.get("/docs")  # Swagger UI keeps its own, looser policy
    assert docs.headers[CSP] == DOCS_CSP and docs.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in PAGE_CSP
    css = responses[3]
    assert css.headers["content-type"].startswith("text/css") and css.headers["etag"]
    assert "http" not in css.text.replace("http-equiv", "")  # nothing from another host
