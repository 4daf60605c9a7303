"""`tuquan coverage | hotspots | candidates | population-import`: analyses as tables, files."""

from __future__ import annotations

import enum
import functools
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from gis.errors import InputError
from tuquan import context

Province = Annotated[
    str | None, typer.Option(help="Province code (e.g. 37 for Ninh Bình), or 'all'; default 37")
]
AsOf = Annotated[str | None, typer.Option("--as-of", help="Date YYYY-MM-DD; default today")]
Start = Annotated[str | None, typer.Option(help="First day of incidents, YYYY-MM-DD")]
End = Annotated[str | None, typer.Option(help="Day after the last, YYYY-MM-DD (excluded)")]
Categories = Annotated[
    list[str] | None,
    typer.Option("--category", help="Incident category (repeatable): crime, social_evils, …"),
]
Out = Annotated[Path | None, typer.Option(help="Write the rows to FILE.csv or FILE.geojson")]
Refresh = Annotated[bool, typer.Option(help="Recompute even when a kept result is current")]


class HotspotKind(enum.StrEnum):
    communes = "communes"
    grid = "grid"
    density = "density"
    trend = "trend"


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} {value!r} is not a date", "write it as YYYY-MM-DD") from None


def _province(value: str | None) -> str | None:
    value = value or context.settings().default_province
    return None if value == "all" else value


def _filter(province, start, end, categories):
    from gis.incident_filter import IncidentFilter

    return IncidentFilter(
        _province(province),
        _date(start, "--start"),
        _date(end, "--end"),
        tuple(categories) if categories else None,
    )


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists and dicts as JSON text, for CSV cells and GeoJSON properties."""
    out = frame.copy()
    for column in out.columns:
        if out[column].map(lambda v: isinstance(v, list | dict | tuple)).any():
            out[column] = out[column].map(lambda v: json.dumps(v, ensure_ascii=False, default=str))
    return out


def _check_out(path: Path | None) -> None:
    """Refuse an --out name we cannot write before any work is done."""
    if path is not None and path.suffix.lower() not in (".csv", ".geojson"):
        raise InputError(f"--out {path}: unsupported file type", "use a .csv or .geojson name")


def write_rows(frame: pd.DataFrame, geometry: str | None, path: Path) -> None:
    """Write result rows to CSV (UTF-8) or GeoJSON (EPSG:4326)."""
    from gis.results import with_geometry

    _check_out(path)
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        _flat(frame).to_csv(path, index=False, encoding="utf-8")
    else:
        with_geometry(context.engine(), _flat(frame), geometry).to_file(path, driver="GeoJSON")
    context.console.print(f"→ {path} ({len(frame)} rows)")


def _stamp(result) -> None:
    where = "kept result" if not result.recomputed else f"computed in {result.seconds:.2f} s"
    as_of = result.data_as_of.isoformat(timespec="seconds") if result.data_as_of else "—"
    context.console.print(f"[dim]{where}; data as of {as_of}[/]")


def _table(title: str, frame: pd.DataFrame, columns: dict[str, str], formats=None) -> Table:
    formats = formats or {}
    table = Table(*columns.values(), title=title)
    for row in frame[list(columns)].itertuples(index=False):
        table.add_row(*(formats.get(c, str)(v) for c, v in zip(columns, row, strict=True)))
    return table


def _note_when_empty(command):
    """No incidents yet is a state, not an error: say so and exit 0."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        from gis.incident_filter import NoIncidents

        try:
            return command(*args, **kwargs)
        except NoIncidents as exc:
            context.console.print(f"[yellow]Chưa có dữ liệu / nothing to analyse:[/] {exc.message}")
            if exc.hint:
                context.console.print(f"  → {exc.hint}")

    return run


def _pct(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{100 * value:.1f}%"


def coverage(
    province: Province = None, as_of: AsOf = None, out: Out = None, refresh: Refresh = False
) -> None:
    """Độ phủ mô hình / coverage: communes covered, by component and kind, year by year."""
    from gis.coverage import coverage_result

    _check_out(out)
    result = coverage_result(
        context.engine(), _province(province), _date(as_of, "--as-of"), refresh=refresh
    )
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
        _table(
            "Độ phủ / coverage",
            provinces,
            columns,
            {"covered_share": _pct, "population_share": _pct},
        )
    )
    shares = {c: c.replace("share_", "") for c in provinces.columns if c.startswith("share_")}
    context.console.print(
        _table(
            "Theo thành phần và loại / by component and kind",
            provinces,
            {"province_code": "tỉnh", **shares},
            dict.fromkeys(shares, _pct),
        )
    )
    years = pd.DataFrame(result.summary["years"])
    if len(years):
        context.console.print(
            _table(
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
                {"covered_share": _pct},
            )
        )
    _stamp(result)
    if out:
        write_rows(result.frame, "commune", out)


@_note_when_empty
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
    _check_out(out)
    engine = context.engine()
    incidents = _filter(province, start, end, category)
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
    context.console.print(
        _table(
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
    _stamp(result)
    if out:
        write_rows(result.frame, geometry, out)


@_note_when_empty
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
    refresh: Refresh = False,
) -> None:
    """Địa bàn nhân rộng / replication candidates: explained ranking and k best new sites."""
    from gis.covering import covering_result
    from gis.planning import RankingWeights, candidates_result

    _check_out(out)
    code = _province(province)
    if code is None:
        raise InputError("candidates are chosen per province", "give --province CODE")
    engine = context.engine()
    incidents = _filter(code, start, end, category)
    when = _date(as_of, "--as-of")
    ranking = candidates_result(
        engine,
        code,
        as_of=when,
        incidents=incidents,
        weights=RankingWeights.parse(weights),
        refresh=refresh,
    )
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
        _table(
            "Xếp hạng / ranking (contributions)",
            ranking.frame.head(top),
            columns,
            dict.fromkeys(columns, two),
        )
    )
    for line in ranking.frame.head(3)["explanation_vi"]:
        context.console.print(f"  • {line}")
    _stamp(ranking)
    if out:
        write_rows(ranking.frame, "commune", out)
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
    context.console.print(
        _table(
            f"{k} địa điểm mới / new sites (radius {radius_m:g} m, {demand})",
            sites.frame,
            {
                "order": "#",
                "code": "mã / code",
                "name": "xã / commune",
                "marginal_gain": "thêm / gain",
                "share_after": "phủ / covered",
            },
            {"marginal_gain": two, "share_after": _pct},
        )
    )
    context.console.print(
        f"phủ trước / before: {_pct(s['share_before'])} → sau / after: {_pct(s['share_after'])} "
        f"({s['existing_sites']} existing sites fixed; solver {s['solver_status']})"
    )


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
