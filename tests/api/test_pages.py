"""The dashboard through the app: content negotiation at /, login, language, the numbers
against PostGIS, privacy, escaping, marking a candidate as planned, CSRF, security headers."""

from __future__ import annotations

import re

import sqlalchemy as sa

from api.hardening import CSP, PAGE_CSP
from api.templating import static_url
from gis import audit, sites
from tests.api.conftest import PASSWORD
from tests.api.data_fixtures import *  # noqa: F403 — the seeded database's fixtures
from tests.api.pages_fixtures import *  # noqa: F403
from tests.api.pages_fixtures import HTML, PAGE_USERS, form_token, logged_in
from tests.helpers import count, snapshot
from tests.maps.records import EVIL_SITE

ACTIVE_COMMUNES = (
    "SELECT count(DISTINCT s.commune_code) FROM site s WHERE s.province_code = :p AND "
    "(SELECT x.status FROM site_status_history x WHERE x.site_id = s.id "
    "AND x.changed_on <= current_date ORDER BY x.changed_on DESC, x.recorded_at DESC "
    "LIMIT 1) IN ('pilot', 'replicated')"
)


def _rows(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr data-code=\"[^\"]*\">.*?</tr>|<tr>.*?</tr>", body, re.DOTALL)


def _cells(row: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)


def test_root_negotiates_dashboard_or_ogc_landing(data_clients):
    anonymous = data_clients["anonymous"]
    landing = anonymous.get("/")
    assert landing.headers["content-type"] == "application/json"
    assert {"conformance", "data"} <= {link["rel"] for link in landing.json()["links"]}
    assert anonymous.get("/", headers={"Accept": "application/json"}).json() == landing.json()
    page = anonymous.get("/", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'action="/login"' in page.text and "Đăng nhập" in page.text
    assert anonymous.get("/", headers=HTML, params={"f": "json"}).json() == landing.json()
    assert anonymous.get("/", params={"f": "html"}).headers["content-type"].startswith("text/html")
    assert anonymous.get("/ogc", headers=HTML).headers["content-type"] == "application/json"


def test_dashboard_numbers_match_postgis(data_clients, data_setup):
    page = data_clients["officer37"].get("/", headers=HTML, params={"province": "37"})
    assert page.status_code == 200
    html = page.text
    covered = count(data_setup.engine, ACTIVE_COMMUNES, p="37")
    assert f'<span class="value">{covered}<small>/129</small></span>' in html
    rows = _rows(html, "candidate-table")
    assert 0 < len(rows) <= 20
    codes = [re.search(r'data-code="(\d+)"', r).group(1) for r in rows]
    with data_setup.engine.connect() as conn:
        listing = ACTIVE_COMMUNES.replace(
            "count(DISTINCT s.commune_code)", "DISTINCT s.commune_code"
        )
        active = set(conn.scalars(sa.text(listing), {"p": "37"}))
        incidents = dict(conn.execute(sa.text(
            "SELECT commune_code, count(*) FROM incident WHERE province_code = '37' "
            "GROUP BY 1")).all())  # fmt: skip
    assert not set(codes) & active  # candidates are communes without an active model
    scores = [float(re.search(r'data-value="([0-9.]+)" class="num"', r).group(1)) for r in rows]
    assert scores == sorted(scores, reverse=True)
    for code, row in zip(codes, rows, strict=True):  # the officer sees every count
        assert _cells(row)[4].strip() == str(incidents.get(code, 0))
    assert html.count('class="plan-button"') == len(rows)  # officers may plan
    assert 'id="chart-components"' in html and 'id="chart-years"' in html
    assert html.count("<iframe") == 2 and 'src="/maps/coverage?province=37"' in html


def test_viewers_see_no_plan_button_and_no_small_counts(data_clients):
    params = {"province": "01"}  # Hà Nội: two candidate communes with 1 and 2 incidents
    viewer = data_clients["viewer"].get("/", headers=HTML, params=params).text
    officer = data_clients["officer01"].get("/", headers=HTML, params=params).text
    assert "plan-button" not in viewer and "plan-button" in officer
    assert "hidden-count" in viewer and "hidden-count" not in officer
    for row in _rows(viewer, "candidate-table"):
        shown = _cells(row)[4]
        assert "hidden-count" in shown or int(shown) >= 3
        if "hidden-count" in shown:  # the explanation names the count: withheld too
            assert not re.search(r"\d+ vụ việc", row) and "/km²" not in row
    assert "Số nhỏ hơn 3 được ẩn" in viewer


def test_out_of_scope_province_is_not_found(data_clients):
    r = data_clients["officer01"].get("/", headers=HTML, params={"province": "37"})
    assert r.status_code == 404 and "37" in r.text
    own = data_clients["officer01"].get("/", headers=HTML)  # default 37 is not theirs
    assert own.status_code == 200 and "Hà Nội" in own.text


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
        rows = _rows(page.text, "candidate-table")
        code = next(re.search(r'data-code="(\d+)"', r).group(1) for r in rows if "plan-button" in r)
        form = {"province": "37", "commune": code, "csrf_token": form_token(page.text)}
        r = client.post("/candidates/plan", data=form, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].endswith(f"planned={code}#candidates")
        done = client.get(r.headers["location"])
        assert "Đã tạo mô hình kế hoạch" in done.text
        row = next(r for r in _rows(done.text, "candidate-table") if f'"{code}"' in r)
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
    assert "frame-ancestors 'self'" in PAGE_CSP
    css = responses[3]
    assert css.headers["content-type"].startswith("text/css") and css.headers["etag"]
    assert "http" not in css.text.replace("http-equiv", "")  # nothing from another host
