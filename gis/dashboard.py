"""What the dashboard shows for one province: coverage figures, candidates, recent sites.

Everything comes from the stored analysis results (gis.results) and gis.sites; an analysis
that cannot run on the data (no incidents yet, say) is reported with its reason instead of
failing the page. ``plan_candidate`` turns a ranked candidate into a planned site.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gis import sites
from gis.auth import Principal, Scope
from gis.coverage import coverage_result
from gis.domain import SITE_STATUSES, keys
from gis.errors import InputError, NotFound
from gis.incident_filter import IncidentFilter
from gis.planning import candidates_result
from gis.privacy import communes_seen

FACTORS = ("burden_count", "burden_rate", "hotspot", "mentoring", "gap")
CANDIDATE_COLUMNS = (
    "rank", "code", "name", "incidents", "rate", "rate_basis", "z", "covered_neighbours",
    "gap_share", "score", "recommended_components", "explanation_vi", "explanation_en",
    *(f"c_{f}" for f in FACTORS),
)  # fmt: skip
PLAN_REF_PREFIX = "plan-"  # ref of a site planned from the dashboard: one per commune
MAX_CANDIDATES = 30
RECENT_SITES = 10


@dataclass(frozen=True)
class Province:
    """A loaded province (one with communes)."""

    code: str
    name: str
    full_name: str


@dataclass
class Dashboard:
    """The figures of one province on one date, and what could not be computed (why)."""

    province: Province
    as_of: dt.date
    totals: dict  # gis.coverage.province_coverage row (shares, counts)
    years: list[dict]  # gis.coverage.coverage_by_year rows
    site_counts: dict[str, int]  # sites per status (every status, 0 when none)
    candidates: list[dict]  # CANDIDATE_COLUMNS, best first
    weights: dict[str, float]  # normalised weight of each factor
    planned_communes: dict[str, int]  # commune code → id of its planned site
    recent_sites: list[dict]  # newest sites: id, name, kind, status, commune_name, started_on
    data_as_of: dt.datetime | None
    synthetic: bool
    notes: list[tuple[str, str]] = field(default_factory=list)  # (what, why not computed)


EARLIEST_DAY = dt.date(2000, 1, 1)  # before any rollout of the model (2020 notice)


def check_day(value: dt.date | None, name: str) -> dt.date | None:
    """``value`` when it is a plausible day for the analyses (2000 to a year ahead)."""
    latest = dt.date.today() + dt.timedelta(days=366)
    if value is not None and not EARLIEST_DAY <= value <= latest:
        raise InputError(
            f"{name} {value.isoformat()} is out of range",
            f"give a day between {EARLIEST_DAY.isoformat()} and {latest.isoformat()}",
        )
    return value


def visible_provinces(engine: Engine, scope: Scope) -> list[Province]:
    """Provinces with communes loaded that ``scope`` reaches (wholly or by one commune)."""
    sql = sa.text(
        "SELECT p.code, p.name, p.full_name FROM admin_unit p WHERE p.level = 'province' "
        "AND EXISTS (SELECT 1 FROM admin_unit c WHERE c.level = 'commune' "
        "AND c.parent_code = p.code) AND (:everywhere OR p.code = ANY(:provinces) "
        "OR EXISTS (SELECT 1 FROM admin_unit c WHERE c.code = ANY(:communes) "
        "AND c.parent_code = p.code)) ORDER BY p.code"
    )
    params = {
        "everywhere": scope.unlimited,
        "provinces": sorted(scope.provinces or ()),
        "communes": sorted(scope.communes),
    }
    with engine.connect() as conn:
        return [Province(*row) for row in conn.execute(sql, params).all()]


def choose_province(engine: Engine, scope: Scope, wanted: str | None, default: str) -> Province:
    """The province asked for (or the default, or the first one loaded) within ``scope``.

    A province outside the scope is reported as not found, like one that does not exist.
    """
    provinces = visible_provinces(engine, scope)
    by_code = {p.code: p for p in provinces}
    if wanted is not None:
        if wanted not in by_code:
            raise NotFound(
                f"province {wanted!r} is not loaded or not in your scope",
                "choose one of: " + (", ".join(by_code) or "none loaded")
                + " (load one with `tuquan boundaries fetch --province CODE`)",
            )  # fmt: skip
        return by_code[wanted]
    if not provinces:
        raise NotFound(
            "no province with communes is loaded (or none is in your scope)",
            "load one: `tuquan boundaries fetch --province 37`",
        )
    return by_code.get(default, provinces[0])


def recent_sites(engine: Engine, province: str, limit: int = RECENT_SITES) -> list[dict]:
    """The sites of ``province`` changed most recently: id, name, kind, status, commune_name,
    started_on, updated_at, is_synthetic."""
    sql = sa.text(
        "SELECT s.id, s.name, s.kind, s.status, c.name AS commune_name, s.started_on, "
        "s.updated_at, s.is_synthetic FROM site s LEFT JOIN admin_unit c "
        "ON c.code = s.commune_code WHERE s.province_code = :p "
        "ORDER BY s.updated_at DESC, s.id DESC LIMIT :n"
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sql, {"p": province, "n": limit}).mappings()]


def _try(what: str, notes: list, compute):
    try:
        return compute()
    except InputError as exc:  # e.g. no incidents yet: the page says so and goes on
        notes.append((what, exc.message))
        return None


def _within(frame: pd.DataFrame, communes: tuple[str, ...] | None) -> pd.DataFrame:
    """The rows of ``frame`` in ``communes`` (every row when None)."""
    if communes is None:
        return frame
    return frame[frame["code"].astype(str).isin(communes)]


def _candidates(frame: pd.DataFrame, limit: int) -> list[dict]:
    if frame.empty:
        return []
    top = frame.head(limit).reindex(columns=list(CANDIDATE_COLUMNS))
    rows = top.astype(object).where(top.notna(), None).to_dict(orient="records")
    for row in rows:
        row["code"] = str(row["code"])
        row["recommended_components"] = list(row["recommended_components"] or [])
    return rows


def dashboard(
    engine: Engine,
    province: Province,
    as_of: dt.date | None = None,
    *,
    scope: Scope | None = None,
    candidates: int = 20,
) -> Dashboard:
    """Coverage, growth, candidates and recent sites of ``province`` on ``as_of`` (today).

    The candidates (their incident counts) are those of the communes ``scope`` reaches: a
    scope of some communes of the province sees only theirs, as the collections answer.
    Coverage and sites are not sensitive (viewers see them everywhere): province-wide.
    """
    as_of = as_of or dt.date.today()
    seen = communes_seen(scope or Scope(), province.code)
    notes: list[tuple[str, str]] = []
    coverage = coverage_result(engine, province.code, as_of)
    totals = (coverage.summary.get("provinces") or [{}])[0]
    ranked = _try(
        "candidates",
        notes,
        lambda: candidates_result(
            engine, province.code, as_of=as_of, incidents=IncidentFilter(province.code)
        ),
    )
    counts = dict.fromkeys(keys(SITE_STATUSES), 0)
    synthetic = False
    for row in sites.site_counts(engine, province.code):
        counts[row["status"]] += int(row["sites"])
        synthetic = synthetic or row["synthetic"] > 0
    planned = sites.list_sites(engine, province.code, status="planned", limit=10_000)
    stamps = [r.data_as_of for r in (coverage, ranked) if r is not None and r.data_as_of]
    return Dashboard(
        province=province,
        as_of=as_of,
        totals=totals,
        years=list(coverage.summary.get("years") or []),
        site_counts=counts,
        candidates=[] if ranked is None else _candidates(_within(ranked.frame, seen), candidates),
        weights=dict(ranked.summary.get("weights", {})) if ranked is not None else {},
        planned_communes={s["commune_code"]: s["id"] for s in planned},
        recent_sites=recent_sites(engine, province.code),
        data_as_of=max(stamps) if stamps else None,
        synthetic=synthetic,
        notes=notes,
    )


def plan_candidate(
    engine: Engine,
    actor: Principal,
    province: Province,
    commune_code: str,
    as_of: dt.date | None = None,
) -> dict:
    """Create the planned site of a ranked candidate commune (status 'planned'); the site.

    The commune must be a current candidate of the province and inside the actor's scope
    (else NotFound); a commune already planned from here is refused (InputError). The site
    is placed by geocoding the commune's own name, so its precision says 'commune'.
    """
    as_of = as_of or dt.date.today()
    if not actor.scope.allows(province.code, commune_code):
        raise NotFound(f"no candidate commune {commune_code!r} here", "pick one from the table")
    ranked = candidates_result(
        engine, province.code, as_of=as_of, incidents=IncidentFilter(province.code)
    ).frame
    row = ranked[ranked["code"].astype(str) == commune_code]
    if row.empty:
        raise NotFound(
            f"commune {commune_code!r} is not a replication candidate of {province.full_name}",
            "pick one from the candidate table (communes without an active model)",
        )
    candidate = row.iloc[0]
    with engine.connect() as conn:
        commune_name = conn.scalar(
            sa.text("SELECT full_name FROM admin_unit WHERE code = :c"), {"c": commune_code}
        )
    ref = f"{PLAN_REF_PREFIX}{commune_code}"
    existing = sites.list_sites(engine, province.code, status="planned", limit=10_000)
    if any(s["ref"] == ref or s["commune_code"] == commune_code for s in existing):
        raise InputError(
            f"{commune_name} already has a planned site",
            "see it in the sites list; change its status when the pilot starts",
        )
    data = sites.SiteInput(
        name=f"Mô hình “5 tự quản” {commune_name}",
        kind="commune",
        components=list(candidate["recommended_components"]) or None,
        status="planned",
        address=f"{commune_name}, {province.full_name}",
        ref=ref,
        status_on=dt.date.today(),
        notes=f"Ứng viên hạng {int(candidate['rank'])} (điểm {candidate['score']:.2f}) "
        f"ngày {as_of:%d/%m/%Y} / candidate ranked {int(candidate['rank'])} on {as_of}",
    )
    return sites.create_site(engine, data, by=actor.username, actor=actor)
