"""`tuquan import sites|incidents FILE`, `tuquan sites list`, `tuquan incidents stats`,
`tuquan demo-data`: thin over gis.ingest, gis.sites, gis.incidents and gis.demo_data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gis.domain import INCIDENT_CATEGORIES, SITE_KINDS, SITE_STATUSES, label
from gis.errors import InputError
from gis.ingest import ImportOptions, ImportResult, import_file
from gis.ingest.fields import parse_mapping
from tuquan import context

import_app = typer.Typer(help="Nhập dữ liệu / import records from files.", no_args_is_help=True)
sites_app = typer.Typer(help="Mô hình / sites of the model.", no_args_is_help=True)
incidents_app = typer.Typer(help="Vụ việc / incidents.", no_args_is_help=True)

SHOWN_PROBLEMS = 20

FileArg = Annotated[Path, typer.Argument(help="CSV, XLSX or GeoJSON file")]
SkipOpt = Annotated[
    bool, typer.Option("--skip-bad-rows", help="import the good rows, report the bad ones")
]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="check everything, write nothing")]
ReportOpt = Annotated[
    Path | None, typer.Option("--report", help="write every problem to FILE (.csv or .json)")
]
MappingOpt = Annotated[
    list[str] | None,
    typer.Option("--mapping", help="field=Header (repeatable), or a JSON file of them"),
]
SyntheticOpt = Annotated[
    bool, typer.Option("--synthetic", help="label every row as synthetic (demo data)")
]
ByOpt = Annotated[str | None, typer.Option("--by", help="who imports (default: the login)")]


def _print_result(result: ImportResult, report: Path | None) -> None:
    out = context.console
    s = result.summary()
    how = f"{result.format}" + (
        f", {result.encoding}, delimiter {result.delimiter!r}" if result.encoding else ""
    )
    out.print(f"[bold]{result.file.name}[/] ({how}) → {result.kind}")
    out.print("cột / columns: " + ", ".join(f"{k}←{h!r}" for k, h in result.columns.items()))
    if result.personal_columns:
        out.print(
            "[yellow]không nhập / not imported (personal data):[/] "
            + ", ".join(repr(h) for h in result.personal_columns)
        )
    other = [h for h in result.ignored_columns if h not in result.personal_columns]
    if other:
        out.print("bỏ qua / ignored columns: " + ", ".join(repr(h) for h in other))
    table = Table("dòng / rows", "hợp lệ / valid", "lỗi / rejected", "mới / new",
                  "cập nhật / updated", "không đổi / unchanged", "cảnh báo / warnings")  # fmt: skip
    table.add_row(
        *(str(s[k]) for k in ("rows_total", "rows_imported", "rows_rejected", "inserted",
                             "updated", "unchanged")),
        str(result.problems.warned_rows),
    )  # fmt: skip
    out.print(table)
    if result.problems.first:
        problems = Table("row", "column", "value", "problem", "", title="Vấn đề / problems")
        for p in result.problems.first[:SHOWN_PROBLEMS]:
            tag = "[red]lỗi[/]" if p.severity == "error" else "[yellow]cảnh báo[/]"
            problems.add_row(str(p.row), p.column or "", (p.value or "")[:40], p.message, tag)
        out.print(problems)
        more = result.problems.errors + result.problems.warnings - SHOWN_PROBLEMS
        if more > 0:
            out.print(f"… {more} more" + (f" in {report}" if report else " (use --report FILE)"))
    if report:
        result.problems.write(report, s)
        out.print(f"báo cáo / report: {report}")
    if result.dry_run:
        out.print("[cyan]chạy thử / dry run: nothing was written[/]")
    elif result.written:
        out.print(f"[green]đã nhập / imported[/] as batch #{result.batch_id}")


def _import(kind: str, file: Path, skip, dry, report, mapping, source, synthetic, by) -> None:
    options = ImportOptions(
        skip_bad_rows=skip, dry_run=dry, mapping=parse_mapping(mapping), source=source,
        synthetic=synthetic, imported_by=by,
    )  # fmt: skip
    with context.RichProgress() as progress:
        result = import_file(context.engine(), file, kind, options, progress)
    try:
        _print_result(result, report)
    finally:
        result.problems.close()
    if not result.accepted and result.rows_total == 0:
        raise InputError(
            f"{file.name}: the columns needed are missing; nothing was imported",
            "rename the columns, or name them with --mapping field=Header (see above)",
        )
    if not result.accepted:
        raise InputError(
            f"{file.name}: {result.problems.rejected_rows} bad row(s) "
            f"({result.problems.errors} problems); nothing was imported",
            "fix them (see the problems above"
            + (f" and {report}" if report else "; --report FILE lists them all")
            + "), or import the good rows with --skip-bad-rows",
        )


@import_app.command("sites")
def import_sites(
    file: FileArg,
    skip_bad_rows: SkipOpt = False,
    dry_run: DryOpt = False,
    report: ReportOpt = None,
    mapping: MappingOpt = None,
    synthetic: SyntheticOpt = False,
    by: ByOpt = None,
) -> None:
    """Nhập mô hình / import sites (updates by reference, never duplicates)."""
    _import("sites", file, skip_bad_rows, dry_run, report, mapping, "default", synthetic, by)


@import_app.command("incidents")
def import_incidents(
    file: FileArg,
    skip_bad_rows: SkipOpt = False,
    dry_run: DryOpt = False,
    report: ReportOpt = None,
    mapping: MappingOpt = None,
    source: Annotated[
        str,
        typer.Option(
            help="source of rows without a source column (references are unique per source)"
        ),
    ] = "default",
    synthetic: SyntheticOpt = False,
    by: ByOpt = None,
) -> None:
    """Nhập vụ việc / import incidents (updates by source and reference, never duplicates)."""
    _import("incidents", file, skip_bad_rows, dry_run, report, mapping, source, synthetic, by)


@sites_app.command("list")
def sites_list(
    province: Annotated[str | None, typer.Option(help="province code, e.g. 37")] = None,
    status: Annotated[
        str | None, typer.Option(help="planned, pilot, replicated, suspended")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="commune, village, clan, religious, …")] = None,
    limit: Annotated[int, typer.Option(help="rows to show")] = 50,
) -> None:
    """Danh sách mô hình / the sites, newest first, with counts by kind and status."""
    from gis.sites import list_sites, site_counts

    engine = context.engine()
    counts = Table("loại / kind", "trạng thái / status", "mô hình / sites", "mô phỏng / synthetic")
    total = 0
    for c in site_counts(engine, province):
        counts.add_row(label(SITE_KINDS, c["kind"]), label(SITE_STATUSES, c["status"]),
                       str(c["sites"]), str(c["synthetic"]))  # fmt: skip
        total += c["sites"]
    context.console.print(counts)
    rows = list_sites(engine, province, status, kind, limit)
    table = Table("id", "tên / name", "loại / kind", "nội dung", "trạng thái", "bắt đầu / start",
                  "xã / commune", "chính xác / precision")  # fmt: skip
    for s in rows:
        table.add_row(
            str(s["id"]), s["name"] + (" [dim](mô phỏng)[/]" if s["is_synthetic"] else ""),
            label(SITE_KINDS, s["kind"]), ",".join(map(str, s["components"])),
            label(SITE_STATUSES, s["status"]), str(s["started_on"] or "—"),
            s["commune_name"] or s["commune_code"], s["precision"],
        )  # fmt: skip
    context.console.print(table)
    context.console.print(f"{len(rows)} of {total} site(s) shown")


@incidents_app.command("stats")
def incidents_stats(
    province: Annotated[str | None, typer.Option(help="province code, e.g. 37")] = None,
    since: Annotated[str | None, typer.Option("--from", help="first day, yyyy-mm-dd")] = None,
    until: Annotated[
        str | None,
        typer.Option("--to", help="last day, yyyy-mm-dd: incidents of that day are counted"),
    ] = None,
) -> None:
    """Thống kê vụ việc / incident counts by category, year and commune (local dates)."""
    from gis.incidents import incident_stats

    stats = incident_stats(context.engine(), province, _day(since), _day(until))
    out = context.console
    if stats.total == 0:
        out.print("chưa có vụ việc / no incidents yet (tuquan import incidents FILE)")
        return
    out.print(
        f"{stats.total:,} vụ việc / incidents ({stats.synthetic:,} synthetic), "
        f"{_local(stats.first)} → {_local(stats.last)} (Asia/Ho_Chi_Minh)"
    )
    years = sorted(stats.by_year)
    table = Table("loại / category", *map(str, years), "tổng / total")
    for term in INCIDENT_CATEGORIES:
        per_year = [str(stats.by_year[y].get(term.key, 0)) for y in years]
        table.add_row(f"{term.vi} / {term.key}", *per_year, str(stats.by_category[term.key]))
    out.print(table)
    top = Table("xã / commune", "code", "vụ việc / incidents", title="Nhiều nhất / most incidents")
    for c in stats.top_communes:
        top.add_row(c["name"], c["code"], str(c["incidents"]))
    out.print(top)
    out.print(
        "độ chính xác / precision: "
        + ", ".join(f"{k} {v:,}" for k, v in stats.by_precision.items())
        + f"; coordinates disagreeing with the address: {stats.flagged:,}"
    )


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{value!r} is not a date", "write it as yyyy-mm-dd") from None


def _local(when: dt.datetime | None) -> str:
    if when is None:
        return "—"
    return when.astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%d/%m/%Y %H:%M")


def demo_data(
    province: Annotated[str, typer.Option(help="province code (default: Ninh Bình, 37)")] = "37",
    out: Annotated[Path, typer.Option(help="folder for the generated files")] = Path(
        ".tuquan/demo"
    ),
    seed: Annotated[int, typer.Option(help="random seed (same seed, same files)")] = 2020,
    incidents: Annotated[int, typer.Option(help="about how many incidents")] = 20_000,
) -> None:
    """Dữ liệu mô phỏng / write synthetic demo sites and incidents as officers' CSV and XLSX."""
    from gis.demo_data import write_demo_files

    files = write_demo_files(context.engine(), province, out, seed=seed, incidents=incidents)
    for kind, path in files.items():
        context.console.print(f"{kind}: {path}")
