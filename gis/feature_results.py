"""Feature collections read from stored analysis results: coverage, hotspots, grid, candidates.

Each collection's SQL reads the rows of one stored result (``analysis_result.rows``, by
kind and parameter digest) joined to its geometry: commune polygons, or the H3 hexagons
kept in ``h3_cell``. Which result is bound per request: the one computed with the default
parameters (every loaded province, today, all incidents), recomputed through gis.results
when the inputs changed; the check costs one small query while nothing changes.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.engine import Engine

from gis.domain import COMPONENTS, SITE_KINDS, keys
from gis.errors import InputError, NotFound
from gis.features import Collection
from gis.h3_cells import keep_cells
from gis.privacy import CANDIDATE_COUNT_COLUMNS, HOTSPOT_COUNT_COLUMNS
from gis.results import StoredResult, canonical, inputs_state, params_key

log = logging.getLogger("tuquan.features")
NOTHING = "none"  # a parameter digest no stored result has: an empty collection
_COMMUNE_GEOMETRY = "JOIN admin_unit u ON u.code = r.code"


@dataclass
class _Bound:
    state: str
    key: str


@dataclass(eq=False)
class ResultBinding:
    """Binds ``:param`` to the digest of the fresh stored result of ``kind``."""

    kind: str
    param: str
    compute: Callable[[Engine], StoredResult]
    after: Callable[[Engine, StoredResult], None] | None = None
    _memo: dict[str, _Bound] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, engine: Engine) -> dict:
        state = hashlib.sha256(
            f"{date.today()}\n{canonical(inputs_state(engine))}".encode()
        ).hexdigest()
        where = engine.url.render_as_string(hide_password=True)
        with self._lock:  # one computation at a time; the others then read it
            bound = self._memo.get(where)
            if bound is None or bound.state != state:
                bound = _Bound(state, self._fresh_key(engine))
                self._memo[where] = bound
        return {self.param: bound.key}

    def _fresh_key(self, engine: Engine) -> str:
        try:
            stored = self.compute(engine)
        except (InputError, NotFound) as exc:  # no incidents, no communes…: nothing to show
            log.info("collection of %s is empty: %s", self.kind, exc)
            return NOTHING
        if self.after is not None:
            self.after(engine, stored)
        return params_key(self.kind, stored.params)


def _result_rows(kind: str, param: str, columns: str, join: str = _COMMUNE_GEOMETRY) -> str:
    """The rows of the bound stored result of ``kind`` as ``r`` (typed ``columns``), joined
    to their geometry."""
    return (
        "analysis_result a CROSS JOIN LATERAL jsonb_to_recordset(a.rows) AS "
        f"r({columns}) {join} WHERE a.kind = '{kind}' AND a.params_key = :{param}"
    )


def _text_list(column: str) -> str:
    """A JSON array of the row as 'a,b,c' (vector tiles carry no arrays)."""
    return f"(SELECT string_agg(x, ',') FROM jsonb_array_elements_text(r.{column}) x)"


# -- coverage -----------------------------------------------------------------------------------
_KIND_COLUMNS = tuple(f"sites_{k}" for k in keys(SITE_KINDS))
_HAS_COLUMNS = tuple(f"has_{k}" for k in keys(COMPONENTS))
_KINDS_TEXT = "concat_ws(',', {})".format(
    ", ".join(f"CASE WHEN r.sites_{k} > 0 THEN '{k}' END" for k in keys(SITE_KINDS))
)


def _coverage(engine: Engine) -> StoredResult:
    from gis.coverage import coverage_result

    return coverage_result(engine)


COVERAGE_BINDING = ResultBinding("coverage", "coverage_key", _coverage)
COVERAGE = Collection(
    id="coverage",
    title="Độ phủ mô hình / Coverage of the model",
    description=(
        "Each commune today: its most advanced site status, active sites by kind, the "
        "components (1–5) its active sites take on, and the first year it ran the model."
    ),
    source=(
        "SELECT r.code AS fid, r.code, r.name, r.province_code, r.status, r.covered, "
        "r.active_sites, r.component_count, "
        f"{_text_list('components')} AS components, "
        f"nullif({_KINDS_TEXT}, '') AS kinds, r.first_year, r.population, "
        + ", ".join(f"r.{c}" for c in _KIND_COLUMNS + _HAS_COLUMNS)
        + ", u.geom FROM "
        + _result_rows(
            "coverage",
            "coverage_key",
            "code text, name text, province_code text, status text, covered boolean, "
            "active_sites int, component_count int, components jsonb, first_year int, "
            "population bigint, "
            + ", ".join(
                [f"{c} int" for c in _KIND_COLUMNS] + [f"{c} boolean" for c in _HAS_COLUMNS]
            ),
        )
    ),
    properties=(
        "code",
        "name",
        "province_code",
        "status",
        "covered",
        "active_sites",
        "component_count",
        "components",
        "kinds",
        "first_year",
        "population",
        *_KIND_COLUMNS,
        *_HAS_COLUMNS,
    ),
    commune_column="code",
    bind=COVERAGE_BINDING,
)


# -- commune hotspots ---------------------------------------------------------------------------
def _hotspots(engine: Engine) -> StoredResult:
    from gis.hotspots import hotspots_result

    return hotspots_result(engine)


HOTSPOTS = Collection(
    id="hotspots",
    title="Điểm nóng theo xã / Hotspots by commune",
    description=(
        "Getis-Ord Gi* of incident counts per commune (all incidents, every loaded "
        "province): z-score, p-value, confidence bin −3…+3 (FDR), neighbours."
    ),
    source=(
        "SELECT r.code AS fid, r.code, r.name, r.province_code, r.incidents, r.z, "
        "r.p_value, r.bin, r.neighbours, r.island, u.geom FROM "
        + _result_rows(
            "hotspots",
            "hotspots_key",
            "code text, name text, province_code text, incidents int, z float8, "
            "p_value float8, bin int, neighbours int, island boolean",
        )
    ),
    properties=(
        "code",
        "name",
        "province_code",
        "incidents",
        "z",
        "p_value",
        "bin",
        "neighbours",
        "island",
    ),
    commune_column="code",
    # with the neighbours' counts known, z (and p, bin) gives a withheld count back
    small_counts=tuple((p, "incidents") for p in HOTSPOT_COUNT_COLUMNS),
    bind=ResultBinding("hotspots", "hotspots_key", _hotspots),
)


# -- grid hotspots ------------------------------------------------------------------------------
def _grid(engine: Engine) -> StoredResult:
    from gis.hotspots_grid import grid_hotspots_result

    return grid_hotspots_result(engine)


HOTSPOTS_GRID = Collection(
    id="hotspots-grid",
    title="Điểm nóng theo lưới H3 / Hotspots on an H3 grid",
    description=(
        "Getis-Ord Gi* of incidents located finer than their commune, per H3 hexagon "
        "(resolution chosen from the data): z-score, p-value, confidence bin −3…+3 (FDR)."
    ),
    source=(
        "SELECT r.h3_cell AS fid, r.h3_cell, h.resolution, r.incidents, r.z, r.p_value, "
        "r.bin, r.neighbours, h.province_code, h.commune_code, h.geom FROM "
        + _result_rows(
            "grid_hotspots",
            "grid_key",
            "h3_cell text, incidents int, z float8, p_value float8, bin int, neighbours int",
            "JOIN h3_cell h ON h.cell = r.h3_cell",
        )
    ),
    properties=(
        "h3_cell",
        "resolution",
        "incidents",
        "z",
        "p_value",
        "bin",
        "neighbours",
        "province_code",
        "commune_code",
    ),
    small_counts=tuple((p, "incidents") for p in HOTSPOT_COUNT_COLUMNS),
    bind=ResultBinding("grid_hotspots", "grid_key", _grid, after=keep_cells),
)


# -- replication candidates ---------------------------------------------------------------------
def _candidates(engine: Engine) -> StoredResult:
    from gis.planning import candidates_result

    return candidates_result(engine, None)


_FACTORS = ("burden_count", "burden_rate", "hotspot", "mentoring", "gap")
CANDIDATES = Collection(
    id="candidates",
    title="Xã đề xuất nhân rộng / Replication candidates",
    description=(
        "Communes without an active model, ranked by an explained score (today, all "
        "incidents): each factor's contribution c_<factor> adds up to the score."
    ),
    source=(
        "SELECT r.code AS fid, r.rank, r.code, r.name, r.province_code, r.score, r.incidents, "
        "r.rate, r.rate_basis, r.z, r.covered_neighbours, r.gap_share, "
        + ", ".join(f"r.c_{f}" for f in _FACTORS)
        + f", {_text_list('dominant_categories')} AS dominant_categories, "
        f"{_text_list('recommended_components')} AS recommended_components, "
        "r.explanation_vi, r.explanation_en, u.geom FROM "
        + _result_rows(
            "candidates",
            "candidates_key",
            "rank int, code text, name text, province_code text, score float8, "
            "incidents int, rate float8, rate_basis text, z float8, covered_neighbours int, "
            "gap_share float8, "
            + ", ".join(f"c_{f} float8" for f in _FACTORS)
            + ", dominant_categories jsonb, recommended_components jsonb, "
            "explanation_vi text, explanation_en text",
        )
    ),
    properties=(
        "rank",
        "code",
        "name",
        "province_code",
        "score",
        "incidents",
        "rate",
        "rate_basis",
        "z",
        "covered_neighbours",
        "gap_share",
        *(f"c_{f}" for f in _FACTORS),
        "dominant_categories",
        "recommended_components",
        "explanation_vi",
        "explanation_en",
    ),
    commune_column="code",
    # the rate, the sentences, z, the count, rate and hotspot factors and the score carry it too
    small_counts=tuple((p, "incidents") for p in CANDIDATE_COUNT_COLUMNS),
    bind=ResultBinding("candidates", "candidates_key", _candidates),
)

RESULT_COLLECTIONS = (COVERAGE, HOTSPOTS, HOTSPOTS_GRID, CANDIDATES)
