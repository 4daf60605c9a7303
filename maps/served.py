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
import logging
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

import shapely
from sqlalchemy.engine import Engine

from gis.errors import ConfigurationError
from gis.incident_filter import IncidentFilter
from gis.privacy import (
    CANDIDATE_COUNT_COLUMNS,
    HOTSPOT_COUNT_COLUMNS,
    suppress_density,
    suppress_frame,
)
from gis.results import canonical, inputs_state
from maps.base import MapOptions, ProvinceMap
from maps.coverage import coverage_map, read_coverage
from maps.figures import province_figure
from maps.hotspots import DEFAULT_BANDWIDTH_M, HotspotData, hotspot_map, read_hotspots
from maps.offline import OSM_TILES, basemap_layers
from maps.planning import PlanningData, planning_map, read_planning
from maps.province import ProvinceBase, load_province
from maps.raster import density_image
from maps.thematic_figures import coverage_figure, hotspot_figure, planning_figure

MAP_KINDS = ("coverage", "hotspots", "planning")
FIGURE_KINDS = ("base-map", "coverage", "hotspots", "planning")
FIGURE_FORMATS = ("png", "pdf")
log = logging.getLogger("tuquan.maps")
MAX_ENTRIES = 96  # rendered pages kept on disk (oldest dropped first)
_MAPS_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PageRequest:
    """One map or figure of a province: the analysis parameters and the privacy policy.

    ``min_count`` and ``communes`` (gis.privacy: small counts withheld; incident figures only
    of these communes) apply to the maps and the figures alike: a figure draws the density
    surface and the candidates, which carry incidents too.
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
    communes: tuple[str, ...] | None = None  # incident figures of these only; None: all

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
            values.update(min_count=None, communes=None)  # no incident counts on these
        if self.kind in ("coverage", "planning") and values["as_of"] is None:
            values["as_of"] = date.today()
        if values["categories"] is not None:
            values["categories"] = tuple(sorted(set(values["categories"])))
        if values["communes"] is not None:
            values["communes"] = tuple(sorted(set(values["communes"])))
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
        request = request.resolved()
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

    def _data(self, engine: Engine, request: PageRequest, base: ProvinceBase):
        """The map's data as the requester may see it (gis.privacy)."""
        data = _read(engine, request, request.kind)
        data = _suppressed(data, request.min_count)
        if isinstance(data, HotspotData):
            data = _density_seen(engine, data, request)
        return _within(data, request.communes, base)

    def _build_map(self, engine: Engine, request: PageRequest) -> ProvinceMap:
        base = self._base(engine, request.province)
        data = self._data(engine, request, base)
        options = dataclasses.replace(self.options, made_on=date.today())
        return _MAKERS[request.kind][0](base, data, options)

    def _build_figure(self, engine: Engine, request: PageRequest, stem: Path) -> None:
        base = self._base(engine, request.province)
        if request.kind == "base-map":
            province_figure(base, stem, date.today())
            return
        data = self._data(engine, request, base)
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
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                with tempfile.TemporaryDirectory(dir=self.folder, prefix=".render-") as tmp:
                    render(Path(tmp))
                    for f in files:  # the last file moved is the one checked first above
                        os.replace(Path(tmp) / f.name, f)
                self._evict()
            except OSError as exc:  # a full disk, a read-only folder, a path through a file
                log.warning("page cache %s cannot be written: %s", self.folder, exc)
                raise ConfigurationError(
                    f"the page cache folder {self.folder} cannot be written "
                    f"({exc.strerror or exc}): the page was not rendered",
                    "free space there or make it writable (it is TUQUAN_HOME/cache/pages), "
                    "or set TUQUAN_HOME to a writable folder and restart",
                ) from exc
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
    if isinstance(data, HotspotData):  # the density surface: _density_seen
        communes = data.communes
        if communes is not None:  # Gi* gives the count back with the neighbours' known
            communes = suppress_frame(
                communes, dict.fromkeys(HOTSPOT_COUNT_COLUMNS, "incidents"), min_count
            )
        grid = data.grid
        if grid is not None:  # a significant hexagon of one or two incidents: left out
            counts = grid["incidents"].astype("Float64")
            grid = grid[~((counts > 0) & (counts < min_count)).fillna(False).to_numpy(bool)]
        return dataclasses.replace(data, communes=communes, grid=grid)
    if isinstance(data, PlanningData):
        hidden = dict.fromkeys(CANDIDATE_COUNT_COLUMNS, "incidents")
        chosen = data.chosen
        if chosen is not None and data.covering.get("demand") == "incidents":
            chosen = suppress_frame(chosen, {"marginal_gain": "marginal_gain"}, min_count)
        return dataclasses.replace(
            data, candidates=suppress_frame(data.candidates, hidden, min_count), chosen=chosen
        )
    return data


def _without_density(data: HotspotData, why: str) -> HotspotData:
    notes = [*data.notes, ("Mật độ hạt nhân / kernel density", why)]
    return dataclasses.replace(data, density=None, density_frame=None, notes=notes)


def _density_seen(engine: Engine, data: HotspotData, request: PageRequest) -> HotspotData:
    """The density surface as the requester may see it: for viewers, only the cells made of
    at least ``min_count`` incidents; for a scope of some communes, none (the surface
    spreads the incidents around them over their neighbours)."""
    frame = data.density_frame
    if frame is None or not len(frame):
        return data
    if request.communes is not None:
        return _without_density(
            data, "không vẽ: ngoài phạm vi của bạn / not drawn: it shows incidents outside "
            "your communes",
        )  # fmt: skip
    if request.min_count is None:
        return data
    summary = data.density_summary
    crs = summary.get("crs", "EPSG:32648")
    bandwidth_m = float(summary.get("bandwidth_m", DEFAULT_BANDWIDTH_M))
    kept = suppress_density(engine, frame, data.incidents, bandwidth_m, request.min_count, crs)
    if len(kept) == len(frame):
        return data
    if not len(kept):
        return _without_density(
            data, f"ẩn: mỗi ô có dưới {request.min_count} vụ trong bán kính {bandwidth_m:,.0f} m "
            f"/ hidden: fewer than {request.min_count} incidents within {bandwidth_m:,.0f} m "
            "of every cell",
        )  # fmt: skip
    image = density_image(kept, summary["cell_m"], crs)
    return dataclasses.replace(data, density=image, density_frame=kept)


def _within(data, communes: tuple[str, ...] | None, base: ProvinceBase):
    """The map data with the incident figures of communes outside ``communes`` removed."""
    if communes is None:
        return data
    inside = set(communes)
    if isinstance(data, HotspotData):
        frame = data.communes
        if frame is not None:
            outside = ~frame["code"].astype(str).isin(inside).to_numpy()
            frame = frame.copy()
            for column in HOTSPOT_COUNT_COLUMNS:
                if column in frame:
                    frame[column] = frame[column].astype(object).where(~outside, None)
        grid = data.grid
        if grid is not None and len(grid):
            own = base.communes[base.communes["code"].astype(str).isin(inside)]
            area = shapely.union_all(own.geometry.values)
            centres = grid.geometry.representative_point()
            grid = grid[shapely.contains_xy(area, centres.x.to_numpy(), centres.y.to_numpy())]
        return dataclasses.replace(data, communes=frame, grid=grid)
    if isinstance(data, PlanningData):
        candidates = data.candidates[data.candidates["code"].astype(str).isin(inside)]
        chosen = data.chosen
        if chosen is not None and "code" in chosen and data.covering.get("demand") == "incidents":
            outside = ~chosen["code"].astype(str).isin(inside).to_numpy()
            chosen = chosen.copy()
            for column in ("marginal_gain", "marginal_share"):
                if column in chosen:
                    chosen[column] = chosen[column].astype(object).where(~outside, None)
        return dataclasses.replace(data, candidates=candidates, chosen=chosen)
    return data


_MAKERS = {
    "coverage": (coverage_map, coverage_figure),
    "hotspots": (hotspot_map, hotspot_figure),
    "planning": (planning_map, planning_figure),
}
