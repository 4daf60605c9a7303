"""`tuquan coverage | hotspots | candidates | import population`: analyses as tables, files."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from gis.errors import InputError
from tuquan import context
from tuquan.commands import analysis_output as show

Province = Annotated[
    str | None, typer.Option(help="Province code (e.g. 37 for Ninh Bình), or 'all'; default 37")
]
AsOf = Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD; default today")]
Start = Annotated[str | None, typer.Option(help="First day of incidents, YYYY-MM-DD")]
End = Annotated[
    str | None,
    typer.Option(
        help="Day after the last, YYYY-MM-DD: incidents of that day are NOT counted "
        "(unlike `incidents stats --to`, which includes its day)"
    ),
]
Categories = Annotated[
    list[str] | None,
    typer.Option("--category", help="Incident category (repeatable): crime, social_evils, …"),
]
Out = Annotated[Path | None, typer.Option(help="Write the rows to FILE.csv or FILE.geojson")]
Refresh = Annotated[bool, typer.Option(help="Recompute even when a kept result is current")]
SYNTHETIC_BANNER = (
    "[bold yellow]⚠ Dữ liệu mô phỏng / synthetic data:[/] đầu vào có bản ghi mô phỏng / the "
    "inputs include demo records (is_synthetic)"
)


def _banner(result) -> bool:
    """Print the synthetic-data banner when the result's inputs include demo records."""
    from gis.results import SYNTHETIC_FLAG

    flagged = bool(result.summary.get(SYNTHETIC_FLAG))
    if flagged:
        context.console.print(SYNTHETIC_BANNER)
    return flagged


def _write(result, geometry: str | None, path: Path, frame: pd.DataFrame | None = None) -> None:
    """Write the result's rows with the synthetic-data marker (a column, a property)."""
    from gis.results import SYNTHETIC_FLAG

    rows = result.frame if frame is None else frame
    show.write_rows(rows.assign(**{SYNTHETIC_FLAG: bool(result.summary.get(SYNTHETIC_FLAG))}),
                    geometry, path)  # fmt: skip


class HotspotKind(enum.StrEnum):
    communes = "communes"
    grid = "grid"
    density = "density"
    trend = "trend"


def coverage(
    province: Province = None, as_of: AsOf = None, out: Out = None, refresh: Refresh = False
) -> None:
    """Độ phủ mô hình / coverage: communes covered, by component and kind, year by year."""
    from gis.coverage import coverage_result

    show.check_out(out)
    result = coverage_result(
        context.engine(),
        show.province_code(province),
        show.parse_date(as_of, "--as-of"),
        refresh=refresh,
    )
    _banner(result)
    provinces = pd.DataFrame(result.summary["provinces"])
    columns = {
        "province_code": "tỉnh / province",
        "communes": "xã / communes",
        "covered_communes": "có mô hình / covered",
        "covered_share": "tỉ lệ / share",
        "partial_communes": "thiếu thành phần / partial",
        "population_share": "dân số / population",
    }
    context.console.print(
        show.table(
            "Độ phủ / coverage",
            provinces,
            columns,
            {"covered_share": show.pct, "population_share": show.pct},
        )
    )
    from gis.domain import COMPONENTS, SITE_KINDS

    shares = {f"share_{c.key}": f"{i}. {c.key}" for i, c in enumerate(COMPONENTS, start=1)}
    shares |= {f"share_kind_{k.key}": f"{k.vi.split(',')[0].lower()} / {k.key}" for k in SITE_KINDS}
    context.console.print(
        show.table(
            "Theo thành phần và loại / by component and kind",
            provinces,
            {"province_code": "tỉnh", **shares},
            dict.fromkeys(shares, show.pct),
        )
    )
    years = pd.DataFrame(result.summary["years"])
    if len(years):
        context.console.print(
            show.table(
                "Theo năm / year by year",
                years,
                {
                    "province_code": "tỉnh",
                    "year": "năm / year",
                    "covered_communes": "có mô hình / covered",
                    "new_communes": "mới / new",
                    "lost_communes": "dừng / lost",
                    "covered_share": "tỉ lệ / share",
                },
                {"covered_share": show.pct},
            )
        )
    show.stamp(result)
    if out:
        _write(result, "commune", out)


@show.note_when_empty
def hotspots(
    province: Province = None,
    start: Start = None,
    end: End = None,
    category: Categories = None,
    kind: Annotated[HotspotKind, typer.Option(help="communes | grid | density | trend")] = (
        HotspotKind.communes
    ),
    per_km2: Annotated[bool, typer.Option(help="Gi* on incidents per km²")] = False,
    permutations: Annotated[int, typer.Option(help="0: analytic p; e.g. 999")] = 0,
    fdr: Annotated[bool, typer.Option(help="False Discovery Rate correction of bins")] = True,
    islands: Annotated[str, typer.Option(help="nearest | exclude")] = "nearest",
    resolution: Annotated[int | None, typer.Option(help="H3 resolution (grid)")] = None,
    band_m: Annotated[float | None, typer.Option(help="Distance band, m (grid)")] = None,
    bandwidth_m: Annotated[float, typer.Option(help="Kernel bandwidth, m (density)")] = 1000.0,
    top: Annotated[int, typer.Option(help="Rows to show")] = 15,
    out: Out = None,
    refresh: Refresh = False,
) -> None:
    """Điểm nóng / hotspots: Gi* per commune or H3 cell, kernel density, or trends."""
    show.check_out(out)
    engine = context.engine()
    incidents = show.incident_filter(province, start, end, category)
    if kind == HotspotKind.communes:
        from gis.hotspots import hotspots_result

        result = hotspots_result(
            engine,
            incidents,
            per_km2=per_km2,
            permutations=permutations,
            fdr=fdr,
            islands=islands,
            refresh=refresh,
        )
        shown = result.frame.sort_values("z", ascending=False).head(top)
        columns = {
            "code": "mã / code",
            "name": "xã / commune",
            "incidents": "vụ / incidents",
            "z": "z",
            "p_value": "p",
            "bin": "bin",
            "neighbours": "lân cận / nb.",
        }
        geometry = "commune"
    elif kind == HotspotKind.grid:
        from gis.hotspots_grid import grid_hotspots_result

        result = grid_hotspots_result(
            engine,
            incidents,
            resolution=resolution,
            band_m=band_m,
            permutations=permutations,
            fdr=fdr,
            refresh=refresh,
        )
        shown = result.frame.sort_values("z", ascending=False).head(top)
        columns = {
            "h3_cell": "H3",
            "lon": "lon",
            "lat": "lat",
            "incidents": "vụ / incidents",
            "z": "z",
            "p_value": "p",
            "bin": "bin",
        }
        geometry = "h3"
    elif kind == HotspotKind.density:
        from gis.density import density_result

        result = density_result(engine, incidents, bandwidth_m=bandwidth_m, refresh=refresh)
        shown = result.frame.sort_values("density_per_km2", ascending=False).head(top)
        columns = {"lon": "lon", "lat": "lat", "density_per_km2": "mật độ / per km²"}
        geometry = "lonlat"
    else:
        from gis.trend import trend_result

        result = trend_result(
            engine, incidents, per_km2=per_km2, fdr=fdr, islands=islands, refresh=refresh
        )
        shown = (
            result.frame[result.frame["label"] != "not_hotspot"]
            .sort_values(["hot_years", "mk_z"], ascending=False)
            .head(top)
        )
        columns = {
            "code": "mã / code",
            "name": "xã / commune",
            "label_vi": "xu hướng",
            "label_en": "trend",
            "hot_years": "năm nóng / hot years",
            "mk_z": "MK z",
        }
        geometry = "commune"
    number = lambda v: f"{v:.3g}" if isinstance(v, float) else str(v)  # noqa: E731
    _banner(result)
    context.console.print(
        show.table(
            f"Điểm nóng / hotspots ({kind.value})", shown, columns, dict.fromkeys(columns, number)
        )
    )
    summary = {k: v for k, v in result.summary.items() if k not in ("weights",)}
    context.console.print(json.dumps(summary, ensure_ascii=False, default=str))
    if "left_out" in result.summary:
        context.console.print(
            f"{result.summary['left_out']} vụ việc không đủ chính xác bị loại / incidents "
            "left out (located only to their commune or province)"
        )
    show.stamp(result)
    if out:
        _write(result, geometry, out)


@show.note_when_empty
def candidates(
    province: Province = None,
    k: Annotated[int, typer.Option("--k", help="New sites to choose")] = 5,
    radius_m: Annotated[float, typer.Option(help="Coverage radius, metres")] = 3000.0,
    demand: Annotated[str, typer.Option(help="incidents | population")] = "incidents",
    weights: Annotated[
        str | None, typer.Option(help="e.g. hotspot=0.4,gap=0.1 (others keep defaults)")
    ] = None,
    as_of: AsOf = None,
    start: Start = None,
    end: End = None,
    category: Categories = None,
    top: Annotated[int, typer.Option(help="Ranked communes to show")] = 15,
    out: Out = None,
    out_sites: Annotated[
        Path | None,
        typer.Option(
            help="Write the chosen new sites (order, marginal gain, coverage before/after) "
            "to FILE.csv or FILE.geojson"
        ),
    ] = None,
    refresh: Refresh = False,
) -> None:
    """Địa bàn nhân rộng / replication candidates: explained ranking and k best new sites."""
    from gis.covering import covering_result
    from gis.planning import RankingWeights, candidates_result

    show.check_out(out)
    if out_sites is not None and out_sites.suffix.lower() not in (".csv", ".geojson"):
        raise InputError(
            f"--out-sites {out_sites}: unsupported file type", "use a .csv or .geojson name"
        )
    code = show.province_code(province)
    if code is None:
        raise InputError("candidates are chosen per province", "give --province CODE")
    engine = context.engine()
    incidents = show.incident_filter(code, start, end, category)
    when = show.parse_date(as_of, "--as-of")
    ranking = candidates_result(
        engine,
        code,
        as_of=when,
        incidents=incidents,
        weights=RankingWeights.parse(weights),
        refresh=refresh,
    )
    flagged = _banner(ranking)
    columns = {
        "rank": "#",
        "code": "mã / code",
        "name": "xã / commune",
        "score": "điểm / score",
        "c_burden_count": "vụ",
        "c_burden_rate": "tỉ suất",
        "c_hotspot": "Gi*",
        "c_mentoring": "lân cận",
        "c_gap": "huyện cũ",
        "recommended_components": "thành phần / components",
    }
    two = lambda v: f"{v:.2f}" if isinstance(v, float) else str(v)  # noqa: E731
    context.console.print(
        show.table(
            "Xếp hạng / ranking (contributions)",
            ranking.frame.head(top),
            columns,
            dict.fromkeys(columns, two),
        )
    )
    for line in ranking.frame.head(3)["explanation_vi"]:
        context.console.print(f"  • {line}")
    show.stamp(ranking)
    if out:
        _write(ranking, "commune", out)
    sites = covering_result(
        engine,
        code,
        k=k,
        radius_m=radius_m,
        demand=demand,
        as_of=when,
        incidents=incidents,
        refresh=refresh,
    )
    s = sites.summary
    if not flagged:
        _banner(sites)
    context.console.print(
        show.table(
            f"{k} địa điểm mới / new sites (radius {radius_m:g} m, {demand})",
            sites.frame,
            {
                "order": "#",
                "code": "mã / code",
                "name": "xã / commune",
                "marginal_gain": "thêm / gain",
                "share_after": "phủ / covered",
            },
            {"marginal_gain": lambda v: f"{v:,.0f}", "share_after": show.pct},
        )
    )
    context.console.print(
        f"phủ trước / before: {show.pct(s['share_before'])} → "
        f"sau / after: {show.pct(s['share_after'])} "
        f"({s['existing_sites']} existing sites fixed; solver {s['solver_status']})"
    )
    if out_sites:
        _write(sites, "lonlat", out_sites, _chosen_sites(sites))


def _chosen_sites(sites) -> pd.DataFrame:
    """The optimiser's sites in order, with the coverage before and after each one."""
    columns = ["order", "code", "name", "lon", "lat", "marginal_gain", "marginal_share",
               "covered_before", "share_before", "covered_after", "share_after"]  # fmt: skip
    chosen = sites.frame.reindex(columns=[c for c in columns if "before" not in c])
    total = sites.summary.get("total") or float("nan")
    chosen["covered_before"] = chosen["covered_after"] - chosen["marginal_gain"]
    chosen["share_before"] = chosen["covered_before"] / total
    return chosen[columns]


def population_import(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX with code, population, year")],
    source: Annotated[str | None, typer.Option(help="Where the figures come from")] = None,
) -> None:
    """Nhập dân số / import population figures per commune and year."""
    from gis.population import load_population

    loaded = load_population(context.engine(), file, source)
    context.console.print(
        f"{loaded.file}: {loaded.rows} rows ({loaded.inserted} new, {loaded.updated} updated), "
        f"years {', '.join(map(str, loaded.years))}"
    )
