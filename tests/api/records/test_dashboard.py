"""The dashboard on the seeded database: content negotiation at /, the numbers against
PostGIS, what viewers do not see (plan buttons, small counts), scope, bad dates."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.api.pages_fixtures import HTML, cells, table_rows
from tests.helpers import count

ACTIVE_COMMUNES = (
    "SELECT count(DISTINCT s.commune_code) FROM site s WHERE s.province_code = :p AND "
    "(SELECT x.status FROM site_status_history x WHERE x.site_id = s.id "
    "AND x.changed_on <= current_date ORDER BY x.changed_on DESC, x.recorded_at DESC "
    "LIMIT 1) IN ('pilot', 'replicated')"
)


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
    rows = table_rows(html, "candidate-table")
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
        assert cells(row)[4].strip() == str(incidents.get(code, 0))
    assert html.count('class="plan-button"') == len(rows)  # officers may plan
    assert 'id="chart-components"' in html and 'id="chart-years"' in html
    assert html.count("<iframe") == 2 and 'src="/maps/coverage?province=37"' in html


def test_viewers_see_no_plan_button_and_no_small_counts(data_clients):
    params = {"province": "01"}  # Hà Nội: two candidate communes with 1 and 2 incidents
    viewer = data_clients["viewer"].get("/", headers=HTML, params=params)
    officer = data_clients["officer01"].get("/", headers=HTML, params=params)
    assert "plan-button" not in viewer.text and "plan-button" in officer.text
    assert viewer.headers["x-tuquan-privacy"] == "suppressed<3"
    assert officer.headers["x-tuquan-privacy"] == "none"
    viewer, officer = viewer.text, officer.text
    assert "hidden-count" in viewer and "hidden-count" not in officer
    for row in table_rows(viewer, "candidate-table"):
        shown = cells(row)[4]
        # zero describes no one and stays visible; 1 and 2 are withheld
        assert "hidden-count" in shown or int(shown) == 0 or int(shown) >= 3
        if "hidden-count" in shown:  # the explanation names the count: withheld too
            assert not re.search(r"\d+ vụ việc", row) and "/km²" not in row
    assert "Số nhỏ hơn 3 được ẩn" in viewer


def test_out_of_scope_province_is_not_found(data_clients):
    r = data_clients["officer01"].get("/", headers=HTML, params={"province": "37"})
    assert r.status_code == 404 and "37" in r.text
    own = data_clients["officer01"].get("/", headers=HTML)  # default 37 is not theirs
    assert own.status_code == 200 and "Hà Nội" in own.text


def test_bad_dashboard_date_is_a_readable_page(data_clients):
    r = data_clients["viewer"].get("/", headers=HTML, params={"as_of": "1900-01-01"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "as_of 1900-01-01 is out of range" in r.text and "2000-01-01" in r.text


def test_an_officer_of_one_commune_sees_only_its_incident_figures(data_clients, data_setup):
    hanoi = data_setup.hanoi
    r = data_clients["officer01_one"].get("/", headers=HTML, params={"province": "01"})
    assert r.status_code == 200 and r.headers["x-tuquan-privacy"] == "none"
    rows = table_rows(r.text, "candidate-table")
    codes = [re.search(r'data-code="(\d+)"', row).group(1) for row in rows]
    assert codes == [hanoi["one"]]  # his commune, its exact count; no other commune's
    assert cells(rows[0])[4].strip() == "1" and "hidden-count" not in r.text
    whole = data_clients["officer01"].get("/", headers=HTML, params={"province": "01"})
    assert hanoi["two"] in whole.text  # the province's officer sees the other communes
    assert hanoi["two"] not in r.text
    other = data_clients["officer01_one"].get("/", headers=HTML, params={"province": "37"})
    assert other.status_code == 404
