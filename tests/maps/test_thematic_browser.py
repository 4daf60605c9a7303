"""The coverage, hotspot, planning and national maps in headless Chromium, network cut off."""

from __future__ import annotations

from pathlib import Path

import pytest

from gis.coverage import site_states
from maps.build import BuildRequest, build_province_maps
from maps.legacy_names import former_names
from maps.national import DETAIL_FOLDER, build_national_map
from tests.maps import thematic_fixtures as fx
from tests.maps.records import AS_OF, EVIL_SITE

thematic_url = fx.thematic_url
thematic_engine = fx.thematic_engine
thematic_base = fx.thematic_base
THE_MAP = "Object.values(window).find(v => v instanceof L.Map)"
TOP, K = 10, 5


@pytest.fixture(scope="module")
def built(thematic_engine, thematic_base, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("thematic")
    request = BuildRequest("37", out, as_of=AS_OF, top=TOP, k=K, figures=False)
    maps = build_province_maps(thematic_engine, request, base=thematic_base)
    return {m.name: m.html.path for m in maps}


def _assert_clean(visit) -> None:
    assert visit.blocked == [], f"requests to other hosts: {visit.blocked[:5]}"
    assert visit.console_errors == [], visit.console_errors
    assert visit.page_errors == [], visit.page_errors


def _search_ninh_hai(page) -> None:
    page.locator(".tq-search-input").fill("Ninh Hai")
    hit = page.locator(".tq-search-results li.tq-search-hit").first
    assert "Ninh Hải" in hit.inner_text()
    hit.click()
    expected = next(
        c for c, olds in former_names("37").items() if ("Ninh Hải", "Thành phố Hoa Lư") in olds
    )
    assert page.get_attribute(".tq-search", "data-selected") == expected


def _toggle(page, layer_name: str) -> None:
    page.locator(".leaflet-control-layers-overlays label", has_text=layer_name).locator(
        "input"
    ).check()


@pytest.mark.parametrize("name", ["coverage", "hotspots", "planning"])
def test_each_map_renders_offline_with_legend_and_search(open_map, built, name):
    visit = open_map(built[name])
    _assert_clean(visit)
    page = visit.page
    assert visit.local_files == []  # one self-contained file
    assert page.locator("path.tq-commune").count() == 129
    legend = page.locator(".tq-legend")
    assert legend.is_visible() and "Chú giải" in legend.inner_text()
    assert page.locator(".tq-synthetic").is_visible()  # the seeded records are demo data
    assert page.locator(".leaflet-control-layers").is_visible()
    assert page.locator(".tq-fullscreen a").is_visible()
    assert "sapnhap.bando.com.vn" in page.locator(".leaflet-control-attribution").inner_text()
    visit.screenshot(f"{name}-map-ninh-binh")
    _search_ninh_hai(page)
    assert visit.console_errors == [] and visit.page_errors == []


def test_coverage_map_sites_popups_and_theme_switch(open_map, built, thematic_engine):
    visit = open_map(built["coverage"])
    page = visit.page
    states = site_states(thematic_engine, [AS_OF], "37")
    shown = states[states["status"].notna()]
    markers = page.locator(".tq-site")
    assert markers.count() == len(shown)
    assert {markers.nth(i).get_attribute("data-kind") for i in range(markers.count())} == set(
        shown["kind"]
    )
    assert page.locator(".tq-site svg path").count() == len(shown)  # an icon in each
    legend = page.locator(".tq-legend").inner_text()
    for words in ("Thí điểm / pilot", "Nhân rộng / replicated", "Dòng họ"):
        assert words in legend
    # the hostile site name is shown as text in its popup, never run
    page.locator(f".tq-site[title='{EVIL_SITE}']").click()
    popup = page.locator(".leaflet-popup-content")
    assert EVIL_SITE in popup.inner_text() and "Dòng họ" not in popup.locator("h3").inner_text()
    assert "Đơn vị chủ trì" in popup.inner_text()
    assert page.evaluate("window.pwned") is None and page.locator("img[src='x']").count() == 0
    # colour by number of components: a covered commune changes colour, the legend follows
    covered = page.locator("path.tq-commune[fill='#1b7837']")
    assert covered.count() >= 1
    page.locator("input[name=tq-theme][value=components]").check()
    assert page.locator("path.tq-commune[fill='#1b7837']").count() == 0
    assert page.locator("[data-theme-section=components]").is_visible()
    assert not page.locator("[data-theme-section=status]").is_visible()
    visit.screenshot("coverage-map-components")


def test_hotspot_map_layers_switch_on(open_map, built):
    visit = open_map(built["hotspots"])
    page = visit.page
    assert page.locator("path.tq-commune[fill='#b2182b']").count() >= 3  # 99 % hot spots
    legend = page.locator(".tq-legend").inner_text()
    assert all(f"tin cậy {level} %" in legend for level in (99, 95, 90))
    title = page.locator(".tq-title").inner_text()
    assert "Thời gian / window" in title and "Loại vụ việc / categories" in title
    assert page.locator("path.tq-h3").count() == 0  # off at first
    _toggle(page, "H3")
    _toggle(page, "kernel density")
    assert page.locator("path.tq-h3").count() >= 1
    assert page.locator("img.tq-density").count() == 1
    _assert_clean(visit)
    visit.screenshot("hotspots-map-layers")


def test_planning_map_candidates_chosen_sites_and_radius(open_map, built):
    visit = open_map(built["planning"])
    page = visit.page
    candidates = page.locator(".tq-candidate")
    assert candidates.count() == TOP
    assert sorted(int(candidates.nth(i).inner_text()) for i in range(TOP)) == list(range(1, 11))
    assert page.locator(".tq-chosen").count() >= K  # markers (+ the legend swatch)
    assert page.locator("path.tq-radius-chosen").count() == K
    assert page.locator("path.tq-radius-existing").count() >= 1
    assert page.locator("path.tq-commune[fill='#d7301f']").count() >= 1  # gaps
    page.locator(".tq-candidate", has_text="1").first.dispatch_event("click")
    page.wait_for_function(
        "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert "#1" in popup and "Tổng điểm" in popup and "Gi* z" in popup
    _assert_clean(visit)
    visit.screenshot("planning-map-popup")


# For each numbered marker, what covers its number: its centre and the points around its
# digits hit the marker itself ("seen"), another marker ("marker") or anything else, such
# as a control ("other"); a marker out of the window is "out".
COVERED_NUMBERS = """selector => [...document.querySelectorAll(selector)].map(marker => {
  const box = marker.getBoundingClientRect();
  const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
  if (cx < 0 || cy < 0 || cx >= innerWidth || cy >= innerHeight)
    return [Number(marker.textContent), "out"];
  const number = Number(marker.textContent);
  let state = "seen";
  for (const [dx, dy] of [[0, 0], [-6, -5], [6, -5], [-6, 5], [6, 5]]) {
    const hit = document.elementFromPoint(cx + dx, cy + dy);
    if (hit !== null && marker.contains(hit)) continue;
    if (hit !== null && hit.closest(".leaflet-marker-icon")) return [number, "marker"];
    state = "other";
  }
  return [number, state];
})"""


def test_planning_ranks_are_all_visible_and_listed(open_map, built):
    visit = open_map(built["planning"])
    page = visit.page
    seen = dict(page.evaluate(COVERED_NUMBERS, ".leaflet-marker-icon .tq-candidate"))
    assert sorted(seen) == list(range(1, TOP + 1))
    assert set(seen.values()) == {"seen"}, seen  # every rank readable
    chosen = dict(page.evaluate(COVERED_NUMBERS, ".leaflet-marker-icon .tq-chosen"))
    assert len(chosen) == K and set(chosen.values()) == {"seen"}, chosen
    assert page.locator("path.tq-leader").count() >= 1  # moved markers point to their place
    # the legend lists the ranks; a click zooms to that candidate and opens its popup
    ranks = page.locator(".tq-legend .tq-ranks [data-rank]")
    assert ranks.count() == TOP
    ranks.nth(2).click()
    assert page.evaluate(f"{THE_MAP}.getZoom()") >= 12
    page.wait_for_function(
        "getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
    )
    assert "#3" in page.locator(".leaflet-popup-content").inner_text()
    page.evaluate(f"{THE_MAP}.closePopup()")
    zoomed = dict(page.evaluate(COVERED_NUMBERS, ".leaflet-marker-icon .tq-candidate"))
    assert "marker" not in zoomed.values(), zoomed  # spread again at the new zoom
    _assert_clean(visit)


def test_national_map_coarse_then_detail(open_map, national_engine, tmp_path):
    saved = build_national_map(national_engine, tmp_path)
    print(
        f"national map {saved.html.html_bytes / 1e6:.2f} MB, "
        f"{saved.detail_files} detail files {saved.detail_bytes / 1e6:.1f} MB"
    )
    assert saved.html.html_bytes < 4_000_000 and saved.detail_files == 34
    visit = open_map(saved.html.path)
    _assert_clean(visit)
    page = visit.page
    assert page.locator("path.tq-commune").count() == 3321
    assert visit.local_files == []  # nothing more at the national zoom
    assert page.locator(".tq-legend").is_visible()
    visit.screenshot("national-map")
    page.locator(".tq-search-input").fill("Ninh Hai")
    page.locator(".tq-search-results li.tq-search-hit").first.click()
    page.wait_for_function("document.querySelectorAll('path.tq-commune-detail').length > 0")
    assert visit.local_files and all(
        url.startswith((tmp_path / DETAIL_FOLDER).as_uri()) for url in visit.local_files
    )
    _assert_clean(visit)
    visit.screenshot("national-map-detail")
    page.evaluate(f"{THE_MAP}.setZoom(6, {{animate: false}})")
    page.wait_for_function(f"{THE_MAP}.getContainer().getAttribute('data-detail') === ''")
