"""`tuquan boundaries`: fetch pinned boundaries, load any boundary file, list what is loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gis.boundaries import (
    FetchResult,
    fetch_boundaries,
    level_counts,
    load_boundary_file,
    summarise,
)
from gis.boundary_reader import FieldMap
from gis.boundary_store import LoadResult
from tuquan import context

app = typer.Typer(help="Ranh giới hành chính / administrative boundaries.", no_args_is_help=True)


def _report(result: LoadResult) -> None:
    if result.unchanged:
        context.console.print("already loaded, nothing changed (same files)")
        return
    for level in sorted(set(result.inserted) | set(result.updated)):
        context.console.print(
            f"{level}: {result.inserted.get(level, 0)} new, {result.updated.get(level, 0)} updated"
        )
    for repair in result.repairs:
        context.console.print(
            f"[yellow]repaired[/] {repair['code']}: {repair['reason']} "
            f"(area changed {repair['area_change_pct']}%)"
        )


def print_summary(province: str | None = None, fetch: FetchResult | None = None) -> None:
    """Counts per level, bbox, source and licence of the loaded provinces."""
    counts = level_counts(context.engine(), province)
    context.console.print(
        f"provinces: {counts.get('province', 0)}, communes: {counts.get('commune', 0)}"
    )
    table = Table("code", "tỉnh / province", "xã / communes", "bbox (lon, lat)", "km²")
    rows = summarise(context.engine(), province)
    for s in rows:
        bbox = ", ".join(f"{v:.4f}" for v in s.bbox)
        table.add_row(s.code, s.name, str(s.communes), bbox, f"{s.area_km2:,.0f}")
    context.console.print(table)
    if rows:
        s = rows[0]
        context.console.print(f"source: {s.origin} @ {s.commit or '—'}")
        context.console.print(f"licence: {s.licence or '—'}; attribution: {s.attribution or '—'}")


@app.command()
def fetch(
    province: Annotated[
        str, typer.Option(help="Province code (e.g. 37 for Ninh Bình) or 'all' for all outlines")
    ] = "37",
    source: Annotated[
        str | None,
        typer.Option(help="Mirror of the origin (folder or URL); default: the pinned origin"),
    ] = None,
) -> None:
    """Download the pinned boundary files, verify their sha256 and load them."""
    with context.RichProgress() as progress:
        result = fetch_boundaries(
            context.engine(), context.settings(), province, source=source, progress=progress
        )
    for load in result.results:
        _report(load)
    print_summary(None if province == "all" else province, result)
    for warning in result.warnings:
        context.console.print(f"[yellow]cảnh báo / warning:[/] {warning}")


@app.command()
def load(
    file: Annotated[Path, typer.Argument(help="GeoJSON, GeoPackage or Shapefile")],
    level: Annotated[str, typer.Option(help="province or commune")],
    code_field: Annotated[str, typer.Option(help="attribute with the official code")] = "code",
    name_field: Annotated[str, typer.Option(help="attribute with the name")] = "name",
    full_name_field: Annotated[
        str | None, typer.Option(help="attribute with the full name")
    ] = None,
    name_en_field: Annotated[
        str | None, typer.Option(help="attribute with the English name")
    ] = None,
    type_field: Annotated[str | None, typer.Option(help="attribute with the unit type")] = None,
    parent: Annotated[str | None, typer.Option(help="province code of every commune")] = None,
    parent_field: Annotated[
        str | None, typer.Option(help="attribute with the province code")
    ] = None,
    crs: Annotated[str | None, typer.Option(help="CRS of the file when missing or wrong")] = None,
    licence: Annotated[str | None, typer.Option(help="licence of the data")] = None,
    attribution: Annotated[str | None, typer.Option(help="who to credit")] = None,
) -> None:
    """Load any boundary file (reprojected to EPSG:4326, invalid polygons repaired)."""
    fields = FieldMap(
        code=code_field,
        name=name_field,
        full_name=full_name_field,
        name_en=name_en_field,
        unit_type=type_field,
        parent=parent_field,
    )
    result = load_boundary_file(
        context.engine(), file, level, fields, parent, crs, licence, attribution
    )
    _report(result)


@app.command("list")
def list_(
    province: Annotated[str | None, typer.Option(help="only this province")] = None,
) -> None:
    """Show the loaded provinces, their communes, extent and source."""
    print_summary(province)
