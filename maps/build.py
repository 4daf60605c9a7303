"""Every map and figure of a province in one call: what `tuquan maps build` and `make demo` run.

Analyses are read as stored results (gis.results), computed when missing or stale; a map
whose analysis cannot run on the data is still written, saying on the map what is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from gis.incident_filter import IncidentFilter
from maps.base import MapOptions, province_base_map
from maps.coverage import coverage_map, read_coverage
from maps.figures import SavedFigure, province_figure
from maps.hotspots import DEFAULT_BANDWIDTH_M, hotspot_map, read_hotspots
from maps.offline import SavedMap
from maps.planning import DEFAULT_K, DEFAULT_RADIUS_M, DEFAULT_TOP, planning_map, read_planning
from maps.province import ProvinceBase, load_province
from maps.thematic_figures import coverage_figure, hotspot_figure, planning_figure

MAP_NAMES = ("base-map", "coverage", "hotspots", "planning")


@dataclass(frozen=True)
class BuildRequest:
    """What to build: the province, the analysis parameters and how to render."""

    province: str
    out: Path
    options: MapOptions = field(default_factory=MapOptions)
    as_of: date | None = None
    start: date | None = None
    end: date | None = None
    categories: tuple[str, ...] | None = None
    top: int = DEFAULT_TOP
    k: int = DEFAULT_K
    radius_m: float = DEFAULT_RADIUS_M
    bandwidth_m: float = DEFAULT_BANDWIDTH_M
    refresh: bool = False
    figures: bool = True

    @property
    def incidents(self) -> IncidentFilter:
        """The incident filter of the hotspot and planning maps."""
        return IncidentFilter(self.province, self.start, self.end, self.categories)


@dataclass(frozen=True)
class BuiltMap:
    """One map written: its HTML and (unless skipped) its A4 figure."""

    name: str
    html: SavedMap
    figure: SavedFigure | None

    @property
    def paths(self) -> list[Path]:
        """The files written, HTML first."""
        files = [self.html.path]
        if self.figure is not None:
            files += [self.figure.png, self.figure.pdf]
        return files


def build_province_maps(
    engine: Engine,
    request: BuildRequest,
    *,
    base: ProvinceBase | None = None,
    on_map: Callable[[BuiltMap], None] | None = None,
) -> list[BuiltMap]:
    """Write the base, coverage, hotspot and planning maps (HTML + PNG + PDF) of a province."""
    request.incidents.check(engine)  # a bad window or category stops before any file is written
    base = base or load_province(engine, request.province)
    out, options = Path(request.out), request.options
    as_of = request.as_of or date.today()
    made_on = options.made_on
    built: list[BuiltMap] = []

    def done(name: str, html: SavedMap, figure: Callable[[], SavedFigure]) -> None:
        item = BuiltMap(name, html, figure() if request.figures else None)
        built.append(item)
        if on_map is not None:
            on_map(item)

    done(
        "base-map",
        province_base_map(base, options).save(out / "base-map.html"),
        lambda: province_figure(base, out / "base-map", made_on),
    )
    coverage = read_coverage(engine, request.province, as_of, refresh=request.refresh)
    done(
        "coverage",
        coverage_map(base, coverage, options).save(out / "coverage.html"),
        lambda: coverage_figure(base, coverage, out / "coverage", made_on),
    )
    hotspots = read_hotspots(
        engine, request.incidents, bandwidth_m=request.bandwidth_m, refresh=request.refresh
    )
    done(
        "hotspots",
        hotspot_map(base, hotspots, options).save(out / "hotspots.html"),
        lambda: hotspot_figure(base, hotspots, out / "hotspots", made_on),
    )
    planning = read_planning(
        engine, request.incidents, as_of=as_of, top=request.top, k=request.k,
        radius_m=request.radius_m, refresh=request.refresh,
    )  # fmt: skip
    done(
        "planning",
        planning_map(base, planning, options).save(out / "planning.html"),
        lambda: planning_figure(base, planning, out / "planning", made_on),
    )
    return built
