"""Map pages and figures through the app: HTML, ETag/304, the cache, privacy, scope, CSP."""

from __future__ import annotations

import re
from datetime import date

import pytest

from api.hardening import CSP
from gis import sites
from maps.served import PageCache, inline_script_hashes
from tests.api.pages_fixtures import *  # noqa: F403
from tests.api.pages_fixtures import PAGE_USERS
from tests.faults.test_disk_faults import bad_place  # noqa: F401 -- the fixture
from tests.helpers import count
from tests.maps.records import AS_OF

MAPS = ("coverage", "hotspots", "planning")


def page_cache_of(client) -> PageCache:
    """The app's page cache (made by a first request when none is yet)."""
    if getattr(client.app.state, "page_cache", None) is None:
        assert client.get("/maps/coverage", params={"province": "37"}).status_code == 200
    return client.app.state.page_cache


@pytest.mark.parametrize("kind", MAPS)
def test_map_page_is_self_contained_html_with_etag(data_clients, kind):
    viewer = data_clients["viewer"]
    r = viewer.get(f"/maps/{kind}", params={"province": "37", "as_of": AS_OF.isoformat()})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert html.startswith("<!DOCTYPE html>") and "tq-commune" in html
    assert "https://" not in "".join(  # nothing fetched from another host
        line for line in html.splitlines() if "<script src" in line or "<link " in line
    )
    etag = r.headers["etag"]
    assert r.headers["cache-control"] == "private, no-cache"
    again = viewer.get(f"/maps/{kind}", params={"province": "37", "as_of": AS_OF.isoformat()},
                       headers={"If-None-Match": etag})  # fmt: skip
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag


def test_map_csp_allows_exactly_the_maps_own_inline_scripts(data_clients):
    r = data_clients["viewer"].get("/maps/coverage", params={"province": "37"})
    policy = dict(d.strip().split(" ", 1) for d in r.headers[CSP].split(";"))
    scripts = policy["script-src"].split()
    hashes = inline_script_hashes(r.text)
    assert len(hashes) >= 3  # leaflet, the plugins and folium's set-up, all inline
    assert sorted(scripts) == sorted(["'self'", *hashes])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert policy["default-src"] == "'self'" and policy["frame-ancestors"] == "'self'"
    assert r.headers["x-frame-options"] == "SAMEORIGIN"


def test_rendered_once_and_reused_until_the_parameters_change(data_clients, data_setup):
    viewer = data_clients["viewer"]
    folder = data_setup.settings.cache_dir / "pages"
    params = {"province": "37", "as_of": "2024-06-30"}
    first = viewer.get("/maps/coverage", params=params)
    files = sorted(p.name for p in folder.iterdir())
    second = viewer.get("/maps/coverage", params=params)
    assert sorted(p.name for p in folder.iterdir()) == files  # served from the cache
    assert second.headers["etag"] == first.headers["etag"] and second.text == first.text
    # a parameter the coverage map does not use shares the entry; one it uses does not
    ignored = viewer.get("/maps/coverage", params={**params, "category": "crime"})
    assert ignored.headers["etag"] == first.headers["etag"]
    other = viewer.get("/maps/coverage", params={"province": "37", "as_of": "2023-06-30"})
    assert other.headers["etag"] != first.headers["etag"]


def test_viewers_get_small_counts_suppressed_and_say_so(data_clients, data_setup):
    params = {"province": "01"}  # Hà Nội: communes with 1, 2 and 5 incidents, the rest none
    viewer = data_clients["viewer"].get("/maps/hotspots", params=params)
    officer = data_clients["officer01"].get("/maps/hotspots", params=params)
    assert viewer.headers["x-tuquan-privacy"] == "suppressed<3"
    assert officer.headers["x-tuquan-privacy"] == "none"
    assert viewer.headers["etag"] != officer.headers["etag"]
    small = count(
        data_setup.engine,
        "SELECT count(*) FROM admin_unit u WHERE u.parent_code = '01' AND (SELECT count(*) "
        "FROM incident i WHERE i.commune_code = u.code) BETWEEN 1 AND 2",
    )
    assert small == 2  # the communes with 1 and 2 incidents; zero describes no one
    # one tooltip per commune: its count and its Gi* class (which gives the count back)
    assert viewer.text.count(" / hidden") == 2 * small
    assert officer.text.count(" / hidden") == 0
    z_shown = {
        text: len(re.findall(r"Gi\* z = -?\d", text)) for text in (viewer.text, officer.text)
    }
    assert z_shown[viewer.text] == z_shown[officer.text] - small
    # the planning popups withhold the score and the factors that follow from the count
    plan_v = data_clients["viewer"].get("/maps/planning", params=params).text
    plan_o = data_clients["officer01"].get("/maps/planning", params=params).text
    dash = r"+\u2014"  # '+—' as the page's script writes it
    assert plan_v.count(dash) > plan_o.count(dash)
    # the coverage map has no incident counts: one page for everyone
    cov_v = data_clients["viewer"].get("/maps/coverage", params=params)
    cov_o = data_clients["officer01"].get("/maps/coverage", params=params)
    assert cov_v.headers["etag"] == cov_o.headers["etag"]


def test_a_province_outside_the_scope_or_not_loaded_is_404(data_clients):
    assert (
        data_clients["officer01"].get("/maps/coverage", params={"province": "37"}).status_code
        == 404
    )
    assert (
        data_clients["officer37"].get("/maps/coverage", params={"province": "37"}).status_code
        == 200
    )
    r = data_clients["viewer"].get("/maps/planning", params={"province": "99"})
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert data_clients["anonymous"].get("/maps/coverage").status_code == 401


def test_bad_parameters_are_422_naming_them(data_clients):
    viewer = data_clients["viewer"]
    r = viewer.get("/maps/hotspots", params={"province": "37", "category": "nonsense"})
    assert r.status_code == 422 and "nonsense" in r.json()["detail"]
    r = viewer.get("/maps/planning", params={"province": "37", "k": 500})
    assert r.status_code == 422 and "k" in r.json()["detail"]
    r = viewer.get("/maps/hotspots", params={"start": "2025-01-01", "end": "2024-01-01"})
    assert r.status_code == 422
    r = viewer.get("/maps/coverage", params={"as_of": "9999-12-31"})  # 8,000 years of growth
    assert r.status_code == 422 and "as_of 9999-12-31 is out of range" in r.json()["detail"]


def test_figures_are_a4_png_and_pdf(data_clients):
    viewer = data_clients["viewer"]
    png = viewer.get("/figures/coverage.png", params={"province": "37"})
    pdf = viewer.get("/figures/coverage.pdf", params={"province": "37"})
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert png.headers["content-type"] == "image/png"
    assert 'filename="tuquan-37-coverage.pdf"' in pdf.headers["content-disposition"]
    width, height = int.from_bytes(png.content[16:20]), int.from_bytes(png.content[20:24])
    assert sorted((width, height)) == [int(210 / 25.4 * 200), int(297 / 25.4 * 200)]  # A4
    again = viewer.get("/figures/coverage.png", params={"province": "37"},
                       headers={"If-None-Match": png.headers["etag"]})  # fmt: skip
    assert again.status_code == 304


def test_a_write_changes_the_etag(pages_setup):
    from fastapi.testclient import TestClient

    from gis import auth

    token, _ = auth.issue_token(pages_setup.engine, PAGE_USERS["viewer"])
    with TestClient(pages_setup.app, headers={"Authorization": f"Bearer {token}"}) as viewer:
        before = viewer.get("/maps/coverage").headers["etag"]
        assert viewer.get("/maps/coverage").headers["etag"] == before
        site = sites.create_site(
            pages_setup.engine,
            sites.SiteInput("Mô hình kiểm tra ETag", "village", status="pilot",
                            lon=105.97, lat=20.25, status_on=date(2024, 1, 1)),
            by="test",
        )  # fmt: skip
        try:
            after = viewer.get("/maps/coverage")
            assert after.status_code == 200 and after.headers["etag"] != before
        finally:
            sites.delete_site(pages_setup.engine, site["id"], by="test")


def test_an_officer_of_one_commune_sees_only_its_incident_figures(data_clients, data_setup):
    params = {"province": "01"}
    own = data_clients["officer01_one"].get("/maps/hotspots", params=params)
    whole = data_clients["officer01"].get("/maps/hotspots", params=params)
    assert own.status_code == 200 and own.headers["x-tuquan-privacy"] == "none"
    assert own.headers["etag"] != whole.headers["etag"]
    communes = count(data_setup.engine, "SELECT count(*) FROM admin_unit WHERE parent_code = '01'")
    # every other commune's count is withheld (as the collections answer nothing there)
    assert own.text.count(" / hidden") == 2 * (communes - 1)  # count and Gi* class
    assert whole.text.count(" / hidden") == 0
    shown = re.findall(r"incidents: (\d+)\D", own.text)
    assert shown == ["1"]  # his commune's count only
    assert sorted(set(re.findall(r"incidents: (\d+)\D", whole.text))) == ["0", "1", "2", "5"]
    assert "outside your communes" in own.text  # the density surface is not drawn: said so
    planning = data_clients["officer01_one"].get("/maps/planning", params=params)
    province_wide = data_clients["officer01"].get("/maps/planning", params=params)
    assert planning.status_code == 200
    # one numbered candidate (his commune) against the province's officer's ten
    ranks = {
        text: set(re.findall(r"#(\d+) ", text)) for text in (planning.text, province_wide.text)
    }
    assert len(ranks[planning.text]) == 1 and len(ranks[province_wide.text]) == 10
    figure = data_clients["officer01_one"].get("/figures/hotspots.png", params=params)
    assert figure.status_code == 200
    assert figure.headers["etag"] != data_clients["officer01"].get(
        "/figures/hotspots.png", params=params).headers["etag"]  # fmt: skip


def test_viewers_get_no_density_made_of_fewer_than_three_incidents(data_clients):
    # category 'other': the two incidents of one Hà Nội commune, at one point
    params = {"province": "01", "category": "other"}
    viewer = data_clients["viewer"].get("/maps/hotspots", params=params)
    officer = data_clients["officer01"].get("/maps/hotspots", params=params)
    assert officer.status_code == viewer.status_code == 200
    assert "tq-density" in officer.text and "tq-density" not in viewer.text
    assert "fewer than 3 incidents within 1,000 m" in viewer.text
    figures = [
        data_clients[role].get("/figures/hotspots.png", params=params)
        for role in ("viewer", "officer01")
    ]
    assert figures[0].headers["etag"] != figures[1].headers["etag"]  # rendered per policy


@pytest.mark.parametrize("path", ["/maps/coverage", "/figures/coverage.png"])
def test_an_unwritable_page_cache_is_a_clear_problem(data_clients, bad_place, path):  # noqa: F811
    """A full, read-only or impossible folder (tests/faults/test_bad_places.py)."""
    viewer = data_clients["viewer"]
    app = viewer.app
    kept = page_cache_of(viewer)  # the app's own, put back afterwards
    app.state.page_cache = PageCache(bad_place / "pages", kept.options)
    try:
        r = viewer.get(path, params={"province": "37", "as_of": "2022-02-02"})
    finally:
        app.state.page_cache = kept
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert str(bad_place / "pages") in body["detail"] and "cannot be written" in body["detail"]
    assert "writable" in body["hint"] and "Traceback" not in r.text
    assert viewer.get(path, params={"province": "37"}).status_code == 200  # the app goes on
