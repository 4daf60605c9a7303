"""maps.served without a database: inline-script hashes, basemap origins, request keys."""

from __future__ import annotations

import base64
import hashlib
from datetime import date

from api.hardening import map_csp
from maps.served import PageRequest, basemap_origin, inline_script_hashes


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_inline_script_hashes_cover_inline_scripts_only():
    html = (
        "<script>var a = '<\\/script>';</script>"
        '<script src="x.js"></script>'
        '<SCRIPT type="text/javascript">\n  L.map("m");\n</SCRIPT >'
        "<script>var a = '<\\/script>';</script>"  # the same code twice: one hash
        '<p onclick="alert(1)">not a script element</p>'
    )
    assert inline_script_hashes(html) == [
        _sha("var a = '<\\/script>';"),
        _sha('\n  L.map("m");\n'),
    ]


def test_basemap_origin_goes_into_the_image_sources():
    assert basemap_origin("offline") is None
    assert basemap_origin("osm") == "https://tile.openstreetmap.org"
    assert basemap_origin("http://127.0.0.1:8080/{z}/{x}/{y}.png") == "http://127.0.0.1:8080"
    policy = map_csp(["'sha256-x'"], "http://127.0.0.1:8080")
    assert "img-src 'self' data: blob: http://127.0.0.1:8080" in policy
    assert "script-src 'self' 'sha256-x'" in policy and "unsafe-inline';" in policy
    assert "script-src 'self' 'sha256-x' 'unsafe-inline'" not in policy  # inline styles only


def test_requests_keep_only_what_their_map_uses():
    day = date(2024, 6, 30)
    window = {"start": date(2024, 1, 1), "end": date(2025, 1, 1)}
    coverage = PageRequest("coverage", "37", as_of=day, categories=("crime",), **window)
    assert coverage.resolved() == PageRequest("coverage", "37", as_of=day)
    hotspots = PageRequest("hotspots", "37", as_of=day, k=9, categories=("other", "crime", "crime"),
                           min_count=3, **window)  # fmt: skip
    assert hotspots.resolved() == PageRequest(
        "hotspots", "37", categories=("crime", "other"), min_count=3, **window
    )
    assert PageRequest("planning", "37", k=9).resolved().as_of == date.today()
    assert PageRequest("coverage", "37", min_count=3).resolved().min_count is None
