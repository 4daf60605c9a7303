"""Helpers of the analysis commands: options parsing, readable tables, CSV/GeoJSON output."""

from __future__ import annotations

import functools
import json
from datetime import date
from pathlib import Path

import pandas as pd
from rich.table import Table

from gis.errors import InputError
from tuquan import context


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} {value!r} is not a date", "write it as YYYY-MM-DD") from None


def province_code(value: str | None) -> str | None:
    value = value or context.settings().default_province
    return None if value == "all" else value


def incident_filter(province, start, end, categories):
    from gis.incident_filter import IncidentFilter

    return IncidentFilter(
        province_code(province),
        parse_date(start, "--start"),
        parse_date(end, "--end"),
        tuple(categories) if categories else None,
    )


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists and dicts as JSON text, for CSV cells and GeoJSON properties."""
    out = frame.copy()
    for column in out.columns:
        if out[column].map(lambda v: isinstance(v, list | dict | tuple)).any():
            out[column] = out[column].map(lambda v: json.dumps(v, ensure_ascii=False, default=str))
    return out


def check_out(path: Path | None) -> None:
    """Refuse an --out name we cannot write before any work is done."""
    if path is not None and path.suffix.lower() not in (".csv", ".geojson"):
        raise InputError(f"--out {path}: unsupported file type", "use a .csv or .geojson name")


def write_rows(frame: pd.DataFrame, geometry: str | None, path: Path) -> None:
    """Write result rows to CSV (UTF-8) or GeoJSON (EPSG:4326)."""
    from gis.results import with_geometry

    check_out(path)
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        _flat(frame).to_csv(path, index=False, encoding="utf-8")
    else:
        with_geometry(context.engine(), _flat(frame), geometry).to_file(path, driver="GeoJSON")
    context.console.print(f"→ {path} ({len(frame)} rows)")


def stamp(result) -> None:
    where = "kept result" if not result.recomputed else f"computed in {result.seconds:.2f} s"
    as_of = result.data_as_of.isoformat(timespec="seconds") if result.data_as_of else "—"
    context.console.print(f"[dim]{where}; data as of {as_of}[/]")


def table(title: str, frame: pd.DataFrame, columns: dict[str, str], formats=None) -> Table:
    formats = formats or {}
    table = Table(*columns.values(), title=title)
    for row in frame[list(columns)].itertuples(index=False):
        table.add_row(*(formats.get(c, str)(v) for c, v in zip(columns, row, strict=True)))
    return table


def note_when_empty(command):
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


def pct(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{100 * value:.1f}%"
