"""Map pages and the dashboard: the page cache against rendering the map on every request.

On the demo-sized bench database of bench.api_load (Ninh Bình, the demo's sites and
~20,000 incidents), with the analyses already stored:

- peer: what a route without a page cache does on every request: read the stored results,
  build the folium map and render its HTML (maps.coverage/hotspots/planning, same options);
- ours: GET /maps/{kind} through the app with the page on disk (a full 200 response), and a
  browser's revalidation (If-None-Match → 304);
- the dashboard page itself (a viewer), for scale.

    .venv/bin/python -m bench pages
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from bench._report import REPEATS, Section, repeat
from bench.api_load import demo_database
from gis import auth
from gis.settings import Settings
from maps.base import MapOptions
from maps.province import load_province
from maps.served import _MAKERS as MAKERS
from maps.served import MAP_KINDS, PageRequest, _read

USER = "bench-pages-viewer"
PASSWORD = "bench pages only"


def _peer(engine, kind: str, folder: Path):
    """Render the map from the stored results, as an uncached route would."""
    request = PageRequest(kind, "37").resolved()

    def render() -> int:
        base = load_province(engine, "37")
        data = _read(engine, request, kind)
        return MAKERS[kind][0](base, data, MapOptions()).save(folder / f"{kind}.html").html_bytes

    return render


def main() -> None:
    section = Section("pages", "Map pages and dashboard: page cache vs rendering per request")
    url, engine = demo_database()
    if USER not in {u["username"] for u in auth.list_users(engine)}:
        auth.add_user(engine, USER, PASSWORD, "viewer")
    token, _ = auth.issue_token(engine, USER, name="bench pages")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=url.render_as_string(hide_password=False), home=tmp)
        app = create_app(settings, engine=engine)
        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(app, headers=headers) as client:
            rows = []
            for kind in MAP_KINDS:
                cold = client.get(f"/maps/{kind}")  # stores the analyses and the page
                assert cold.status_code == 200, cold.text
                etag = cold.headers["etag"]
                peer, size = repeat(_peer(engine, kind, Path(tmp)), warmup=1)
                full, _ = repeat(lambda k=kind: client.get(f"/maps/{k}"), runs=REPEATS * 3)
                revalidate, _ = repeat(
                    lambda k=kind, e=etag: client.get(f"/maps/{k}", headers={"If-None-Match": e}),
                    runs=REPEATS * 3,
                )
                section.line(f"### {kind} map ({size / 1e6:.2f} MB of HTML)")
                section.figure("peer: render per request", peer)
                section.figure("ours: cached page, 200", full, "s", 3)
                section.figure("ours: revalidation, 304", revalidate, "s", 3)
                rows.append(
                    (kind, f"{peer.median:.2f} s", f"{full.median * 1000:.0f} ms",
                     f"{revalidate.median * 1000:.0f} ms",
                     f"{section.ratio(f'{kind}: render vs cached 200', full, peer):.0f}×")
                )  # fmt: skip
                section.ratio(f"{kind}: render vs 304", revalidate, peer)
            dashboard, _ = repeat(
                lambda: client.get("/", headers={"Accept": "text/html"}), warmup=1
            )
            section.figure("dashboard page (viewer, stored analyses)", dashboard, "s", 3)
            section.table(("map", "peer: render", "ours: 200", "ours: 304", "ratio (200)"), rows)
    section.save()
