"""Browser harness: Debian's headless Chromium driven by Playwright, the network cut off.

``open_map(path)`` loads a map from a file:// URL in a fresh browser context where every
request to another host is aborted and recorded, and collects console errors and uncaught
page errors. A missing Chromium fails the run (never a skip): scripts/system-deps.sh
installs it.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from gis.settings import PROJECT_ROOT

ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    # Belt and braces: even a request the router missed cannot resolve a name.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def chromium_path() -> str:
    found = os.environ.get("TUQUAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        pytest.fail(
            f"Chromium not found at {found}: run scripts/system-deps.sh (installs Debian's "
            "chromium) or set TUQUAN_CHROMIUM to a Chromium binary",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session (Playwright's own browser download is not used)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@dataclass
class MapVisit:
    """One page load: the page, what it tried to fetch elsewhere, what it complained about."""

    page: Page
    url: str
    blocked: list[str] = field(default_factory=list)  # requests to another host (aborted)
    allowed: list[str] = field(default_factory=list)  # requests to an allowed loopback host
    local_files: list[str] = field(default_factory=list)  # file:// loads besides the map
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    load_s: float = 0.0

    def screenshot(self, name: str) -> Path:
        """Save a PNG under tests/artifacts/ (git-ignored) and return its path."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def open_map(browser: Browser) -> Iterator[Callable[..., MapVisit]]:
    """Open an HTML map from a file with every other host blocked and recorded."""
    contexts = []

    def open_(path: Path, allow_hosts: tuple[str, ...] = (), size=(1280, 900)) -> MapVisit:
        context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        contexts.append(context)
        page = context.new_page()
        visit = MapVisit(page, Path(path).resolve().as_uri())

        folder = Path(path).resolve().parent.as_uri() + "/"

        def route(route) -> None:
            url = route.request.url
            scheme = urlsplit(url).scheme
            if url == visit.url or scheme in ("data", "blob"):
                route.continue_()
            elif scheme == "file" and url.startswith(folder):
                visit.local_files.append(url)  # files written beside the map
                route.continue_()
            elif scheme in ("http", "https", "ws", "wss") and urlsplit(url).hostname in allow_hosts:
                visit.allowed.append(url)
                route.continue_()
            else:
                visit.blocked.append(url)
                route.abort("blockedbyclient")

        context.route("**/*", route)
        page.on(
            "console", lambda m: visit.console_errors.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e: visit.page_errors.append(str(e)))
        started = time.perf_counter()
        page.goto(visit.url, wait_until="load")
        visit.load_s = time.perf_counter() - started
        return visit

    yield open_
    for context in contexts:
        context.close()
