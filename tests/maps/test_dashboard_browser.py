"""The dashboard in headless Chromium at 1366×768, served by uvicorn on loopback.

An officer logs in, sees the maps (inside their frames) and the tables, sorts the
candidate table, marks a candidate as planned (the site is then in PostGIS); a viewer sees
no button. No request may go to another host and no page (or frame) may log an error:
a Content-Security-Policy violation would be one.

It lives beside the map browser tests to share their session Chromium (tests/maps/conftest):
Playwright's sync API runs one instance per thread, so a second session browser would fail.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import uvicorn

from tests.api.conftest import PASSWORD
from tests.api.pages_fixtures import *  # noqa: F403
from tests.api.pages_fixtures import PAGE_USERS
from tests.maps.conftest import ARTIFACTS

VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def served(pages_setup) -> Iterator[str]:
    """The app on a free loopback port, in a thread; its base URL."""
    config = uvicorn.Config(pages_setup.app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


class Visit:
    """A browser context on the app that blocks and records every other host."""

    def __init__(self, browser, base: str) -> None:
        self.context = browser.new_context(viewport=VIEWPORT, locale="vi-VN")
        self.page = self.context.new_page()
        self.blocked: list[str] = []
        self.errors: list[str] = []
        host = urlsplit(base).netloc

        def route(route) -> None:
            parts = urlsplit(route.request.url)
            if parts.scheme in ("data", "blob", "about") or parts.netloc == host:
                route.continue_()
            else:
                self.blocked.append(route.request.url)
                route.abort("blockedbyclient")

        self.context.route("**/*", route)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def login(self, base: str, role: str) -> None:
        self.page.goto(base + "/")
        self.page.fill("#username", PAGE_USERS[role])
        self.page.fill("#password", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("button.primary")

    def screenshot(self, name: str, full_page: bool = False) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)

    def clean(self) -> None:
        assert self.blocked == [], f"requests to other hosts: {self.blocked[:5]}"
        assert self.errors == [], self.errors


def _column(page, table: str, index: int) -> list[str]:
    return page.eval_on_selector_all(
        f"#{table} tbody tr", f"rows => rows.map(r => r.cells[{index}].dataset.value)"
    )


def test_officer_dashboard_maps_tables_sort_and_plan(browser, served, pages_setup):
    visit = Visit(browser, served)
    page = visit.page
    page.goto(served + "/")
    assert page.locator("form.login-form").is_visible()
    visit.screenshot("dashboard-login-1366x768")
    visit.login(served, "officer")
    assert page.locator("h1.page-title").inner_text().startswith("Tỉnh Ninh Bình")
    for frame_id in ("map-coverage", "map-hotspots"):
        frame = page.frame_locator(f"#{frame_id}")
        frame.locator("path.tq-commune").first.wait_for(timeout=60_000)
        assert frame.locator("path.tq-commune").count() == 129
        assert frame.locator(".tq-legend").is_visible()
    candidates = page.locator("#candidate-table tbody tr")
    assert candidates.count() > 5 and page.locator("#site-table tbody tr").count() > 5
    assert page.locator("#chart-components .bar").count() == 5
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    visit.screenshot("dashboard-officer-1366x768")
    visit.screenshot("dashboard-officer-full", full_page=True)

    # sort: score ascending, then descending; commune names A→Z (Vietnamese collation)
    ranks = [int(r) for r in _column(page, "candidate-table", 0)]
    assert ranks == sorted(ranks)
    page.locator("#candidate-table th", has_text="Điểm").first.locator("button").click()
    scores = [float(s) for s in _column(page, "candidate-table", 2)]
    assert scores == sorted(scores)
    page.locator("#candidate-table th", has_text="Điểm").first.locator("button").click()
    assert [float(s) for s in _column(page, "candidate-table", 2)] == sorted(scores, reverse=True)
    page.locator("#candidate-table th", has_text="Vụ việc").locator("button").click()
    incidents = [float(s) for s in _column(page, "candidate-table", 4)]
    assert incidents == sorted(incidents) and incidents != sorted(incidents, reverse=True)

    # mark the first candidate with a button as planned
    row = page.locator("#candidate-table tbody tr").filter(has=page.locator(".plan-button")).first
    code = row.get_attribute("data-code")
    with page.expect_navigation():
        row.locator(".plan-button").click()
    assert page.locator(".notice").is_visible()
    planned_row = page.locator(f'#candidate-table tr[data-code="{code}"]')
    assert planned_row.locator(".badge.planned").is_visible()
    assert planned_row.locator(".plan-button").count() == 0
    with pages_setup.engine.connect() as conn:
        site = conn.execute(
            sa.text("SELECT status, commune_code, created_by FROM site WHERE ref = :r"),
            {"r": f"plan-{code}"},
        ).one()
    assert tuple(site) == ("planned", code, PAGE_USERS["officer"])
    visit.screenshot("dashboard-officer-planned-1366x768")

    # the English switch
    with page.expect_navigation():
        page.locator(".lang a", has_text="English").click()
    assert page.locator("#candidates-title").inner_text() == "Replication candidates"
    visit.clean()
    visit.context.close()


def test_viewer_sees_no_plan_button(browser, served):
    visit = Visit(browser, served)
    visit.login(served, "viewer")
    page = visit.page
    assert page.locator("#candidate-table tbody tr").count() > 0
    assert page.locator(".plan-button").count() == 0
    page.frame_locator("#map-hotspots").locator("path.tq-commune").first.wait_for(timeout=60_000)
    visit.screenshot("dashboard-viewer-1366x768")
    visit.clean()
    visit.context.close()


# A point inside each commune's drawn shape (nearest its box centre), in the frame's
# viewport, and what document.elementFromPoint finds there: the map, or a control over it.
CLICKABLE_COMMUNES = """() => {
  const paths = [...document.querySelectorAll("path.tq-commune")];
  const controls = [];
  let clickable = 0;
  for (const path of paths) {
    const box = path.getBBox();
    const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
    const tries = [];
    for (let i = 0; i <= 10; i++)
      for (let j = 0; j <= 10; j++)
        tries.push([box.x + (box.width * i) / 10, box.y + (box.height * j) / 10]);
    tries.sort((a, b) => Math.hypot(a[0] - cx, a[1] - cy) - Math.hypot(b[0] - cx, b[1] - cy));
    const inside = tries.find(([x, y]) => path.isPointInFill(new DOMPoint(x, y)));
    if (!inside) continue;
    const at = new DOMPoint(inside[0], inside[1]).matrixTransform(path.getScreenCTM());
    const hit = document.elementFromPoint(at.x, at.y);
    if (hit && hit.closest(".leaflet-pane")) clickable++;
    else controls.push(hit ? (hit.closest(".leaflet-control") || hit).className : "outside");
  }
  return {communes: paths.length, clickable, covered_by: controls};
}"""


def test_maps_in_dashboard_frames_leave_the_communes_clickable(browser, served):
    """At the dashboard's frame size (~635×500 px) the map's controls are compact: most
    commune centres are the map's own shapes, not a layer list, title or legend over them."""
    visit = Visit(browser, served)
    visit.login(served, "viewer")
    page = visit.page
    for frame_id in ("map-coverage", "map-hotspots"):
        frame = page.frame_locator(f"#{frame_id}")
        frame.locator("path.tq-commune").first.wait_for(timeout=60_000)
        width = page.locator(f"#{frame_id}").bounding_box()["width"]
        assert width < 800, width  # a small map: the compact controls apply
        found = page.frame(name=None, url=lambda u, f=frame_id: f"/maps/{f[4:]}" in u).evaluate(
            CLICKABLE_COMMUNES
        )
        share = found["clickable"] / found["communes"]
        print(frame_id, f"{share:.0%} of commune centres clickable", found["covered_by"][:10])
        assert share >= 0.8, (frame_id, found)
        assert frame.locator(".leaflet-control-layers-expanded").count() == 0
        assert not frame.locator(".tq-title .tq-meta").is_visible()  # one line
        legend = frame.locator(".tq-legend")
        assert legend.is_visible() and not legend.locator("h2").is_visible()  # folded
        legend.locator(".tq-fold").click()
        assert legend.locator("h2").is_visible()
        frame.locator(".leaflet-control-layers-toggle").click()
        assert frame.locator(".leaflet-control-layers-expanded").count() == 1
    page.locator("#map-coverage").scroll_into_view_if_needed()
    visit.screenshot("dashboard-maps-compact-1366x768")
    visit.clean()
    visit.context.close()
