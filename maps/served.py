"""Maps and figures rendered on demand and kept on disk until the data changes.

A page's key is a digest of what it shows: the map kind and its parameters, the privacy
policy applied, the state of the analysis inputs (gis.results.inputs_state: boundary
version and the write log), the day (maps print "made on"), the basemap and the code. The
key is the HTTP ETag, so a client revalidates without the map being rendered again, and a
rendered file is reused by every request (and every worker) until any input changes.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine

from gis.incident_filter import IncidentFilter
from gis.privacy import suppress_frame
from gis.results import canonical, inputs_state
from maps.base import MapOptions, ProvinceMap
from maps.coverage import coverage_map, read_coverage
from maps.figures import province_figure
from maps.hotspots import HotspotData, hotspot_map, read_hotspots
from maps.offline import OSM_TILES, basemap_layers
from maps.planning import PlanningData, planning_map, read_planning
from maps.province import ProvinceBase, load_province
from maps.thematic_figures import coverage_figure, hotspot_figure, planning_figure

MAP_KINDS = ("coverage", "hotspots", "planning")
FIGURE_KINDS = ("base-map", "coverage", "hotspots", "planning")
FIGURE_FORMATS = ("png", "pdf")
MAX_ENTRIES = 96  # rendered pages kept on disk (oldest dropped first)
_MAPS_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PageRequest:
    """One map or figure of a province: the analysis parameters and the privacy policy.

    Figures print no per-commune count, so they ignore ``min_count`` (one file for all).
    """

    kind: str
    province: str
    as_of: date | None = None
    start: date | None = None
    end: date | None = None
    categories: tuple[str, ...] | None = None
    top: int = 10
    k: int = 5
    radius_m: float = 3000.0
    min_count: int | None = None  # counts below it are suppressed (viewers); None: shown

    @property
    def incidents(self) -> IncidentFilter:
        """The incident filter of the hotspot and planning maps."""
        return IncidentFilter(self.province, self.start, self.end, self.categories)

    def resolved(self) -> PageRequest:
        """The request as the map uses it: parameters the kind ignores reset (one cache
        entry, not one per unused value), the date default made explicit (today)."""
        values = asdict(self)
        if self.kind in ("coverage", "base-map"):
            values.update(start=None, end=None, categories=None)
        if self.kind in ("hotspots", "base-map"):
            values.update(as_of=None)
        if self.kind != "planning":
            defaults = PageRequest(self.kind, self.province)
            values.update(top=defaults.top, k=defaults.k, radius_m=defaults.radius_m)
        if self.kind in ("coverage", "base-map"):
            values.update(min_count=None)  # no incident counts on these
        if self.kind in ("coverage", "planning") and values["as_of"] is None:
            values["as_of"] = date.today()
        if values["categories"] is not None:
            values["categories"] = tuple(sorted(set(values["categories"])))
        return PageRequest(**values)


@dataclass(frozen=True)
class Rendered:
    """A rendered file with its ETag and, for HTML, the hashes of its inline scripts."""

    path: Path
    etag: str
    media_type: str
    script_hashes: tuple[str, ...] = ()


_SCRIPT = re.compile(r"<script(\s[^>]*)?>(.*?)</script[\s/>]", re.IGNORECASE | re.DOTALL)


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions ('sha256-…') of every inline <script> of ``html``, in order."""
    hashes = []
    for match in _SCRIPT.finditer(html):
        if match.group(1) and re.search(r"\bsrc\s*=", match.group(1), re.IGNORECASE):
            continue
        digest = hashlib.sha256(match.group(2).encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode()}'")
    return list(dict.fromkeys(hashes))


def basemap_origin(basemap: str) -> str | None:
    """The origin tiles come from for a basemap setting (None offline)."""
    layers = basemap_layers(basemap).layers
    if not layers:
        return None
    url = OSM_TILES if basemap.strip().lower() == "osm" else basemap.strip()
    parts = urlsplit(url.replace("{s}", "a"))
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else None


def _code_stamp() -> str:
    """Changes whenever the map code or its static files change (a stale page is not reused)."""
    files = sorted([*_MAPS_DIR.glob("*.py"), *(_MAPS_DIR / "static").glob("*")])
    stamp = hashlib.sha256(version("tuquan").encode())
    for path in files:
        info = path.stat()
        stamp.update(f"{path.name}:{info.st_size}:{info.st_mtime_ns}".encode())
    return stamp.hexdigest()[:16]


class PageCache:
    """Renders maps and figures into ``folder`` and reuses them while their key holds."""

    def __init__(self, folder: Path, options: MapOptions | None = None) -> None:
        self.folder = Path(folder)
        self.options = options or MapOptions()
        basemap_layers(self.options.basemap)  # a bad basemap setting fails at start-up
        self.basemap_origin = basemap_origin(self.options.basemap)
        self._code = _code_stamp()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._bases: dict[tuple[str, int], ProvinceBase] = {}

    def key(self, engine: Engine, request: PageRequest, output: str) -> str:
        """The digest of everything the page shows (its ETag, without quotes)."""
        request = request.resolved()
        if output == "figure":
            request = dataclasses.replace(request, min_count=None)
        state = inputs_state(engine)
        what = {
            "output": output,
            "request": asdict(request),
            "inputs": {k: v for k, v in state.items() if k != "data_as_of"},
            "made_on": date.today(),
            "basemap": self.options.basemap,
            "attribution": self.options.basemap_attribution,
            "code": self._code,
        }
        return hashlib.sha256(canonical(what).encode()).hexdigest()[:32]

    def map_page(self, engine: Engine, request: PageRequest, key: str | None = None) -> Rendered:
        """The HTML map of ``request`` (rendered now unless already on disk)."""
        if request.kind not in MAP_KINDS:
            raise ValueError(f"unknown map {request.kind!r}")
        request = request.resolved()
        key = key or self.key(engine, request, "html")
        path = self.folder / f"map-{request.kind}-{key}.html"
        sidecar = path.with_suffix(".json")

        def render(tmp: Path) -> None:
            self._build_map(engine, request).save(tmp / path.name)
            html = (tmp / path.name).read_text(encoding="utf-8")
            meta = {"script_hashes": inline_script_hashes(html), "request": asdict(request)}
            (tmp / sidecar.name).write_text(canonical(meta), encoding="utf-8")

        self._ensure(key, [path, sidecar], render)
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        return Rendered(path, key, "text/html; charset=utf-8", tuple(meta["script_hashes"]))

    def figure(
        self, engine: Engine, request: PageRequest, fmt: str, key: str | None = None
    ) -> Rendered:
        """The A4 figure of ``request`` as PNG or PDF (both rendered together)."""
        if request.kind not in FIGURE_KINDS or fmt not in FIGURE_FORMATS:
            raise ValueError(f"unknown figure {request.kind}.{fmt}")
        request = dataclasses.replace(request, min_count=None).resolved()
        key = key or self.key(engine, request, "figure")
        stem = f"figure-{request.kind}-{key}"
        files = [self.folder / f"{stem}.{ext}" for ext in FIGURE_FORMATS]

        def render(tmp: Path) -> None:
            self._build_figure(engine, request, tmp / stem)

        self._ensure(key, files, render)
        media = "image/png" if fmt == "png" else "application/pdf"
        return Rendered(self.folder / f"{stem}.{fmt}", key, media)

    # -- rendering -------------------------------------------------------------------------

    def _base(self, engine: Engine, province: str) -> ProvinceBase:
        version_now = inputs_state(engine)["boundary_version"]
        cached = self._bases.get((province, version_now))
        if cached is None:
            cached = load_province(engine, province)
            with self._guard:
                self._bases = {(province, version_now): cached, **self._bases}
                for extra in list(self._bases)[8:]:  # a few provinces in memory
                    del self._bases[extra]
        return cached

    def _build_map(self, engine: Engine, request: PageRequest) -> ProvinceMap:
        data = _suppressed(_read(engine, request, request.kind), request.min_count)
        base = self._base(engine, request.province)
        options = dataclasses.replace(self.options, made_on=date.today())
        return _MAKERS[request.kind][0](base, data, options)

    def _build_figure(self, engine: Engine, request: PageRequest, stem: Path) -> None:
        base = self._base(engine, request.province)
        if request.kind == "base-map":
            province_figure(base, stem, date.today())
            return
        data = _read(engine, request, request.kind)
        _MAKERS[request.kind][1](base, data, stem, date.today())

    def _ensure(self, key: str, files: list[Path], render: Callable[[Path], None]) -> None:
        """Render into a temporary folder and move the files in place, once per key."""
        if all(f.exists() for f in files):
            return
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if all(f.exists() for f in files):
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=self.folder, prefix=".render-") as tmp:
                render(Path(tmp))
                for f in files:  # the last file moved is the one checked first above
                    os.replace(Path(tmp) / f.name, f)
            self._evict()
        with self._guard:
            self._locks.pop(key, None)

    def _evict(self) -> None:
        entries = sorted(
            (p for p in self.folder.iterdir() if p.is_file()),
            key=lambda p: p.stat().st_mtime_ns,
            reverse=True,
        )
        for old in entries[MAX_ENTRIES:]:
            old.unlink(missing_ok=True)


def _read(engine: Engine, request: PageRequest, kind: str):
    """The analysis data of one map (stored results, computed when missing or stale)."""
    if kind == "coverage":
        return read_coverage(engine, request.province, request.as_of)
    if kind == "hotspots":
        return read_hotspots(engine, request.incidents)
    return read_planning(
        engine, request.incidents, as_of=request.as_of, top=request.top, k=request.k,
        radius_m=request.radius_m,
    )  # fmt: skip


def _suppressed(data, min_count: int | None):
    """The map data with incident counts below ``min_count`` (and what reveals them) removed."""
    if min_count is None:
        return data
    if isinstance(data, HotspotData):
        communes = data.communes
        if communes is not None:
            communes = suppress_frame(communes, {"incidents": "incidents"}, min_count)
        grid = data.grid
        if grid is not None:
            grid = suppress_frame(grid, {"incidents": "incidents"}, min_count)
        return dataclasses.replace(data, communes=communes, grid=grid)
    if isinstance(data, PlanningData):
        hidden = {c: "incidents" for c in ("incidents", "rate", "explanation_vi", "explanation_en")}
        chosen = data.chosen
        if chosen is not None and data.covering.get("demand") == "incidents":
            chosen = suppress_frame(chosen, {"marginal_gain": "marginal_gain"}, min_count)
        return dataclasses.replace(
            data, candidates=suppress_frame(data.candidates, hidden, min_count), chosen=chosen
        )
    return data


_MAKERS = {
    "coverage": (coverage_map, coverage_figure),
    "hotspots": (hotspot_map, hotspot_figure),
    "planning": (planning_map, planning_figure),
}
