"""`tuquan maps build`: a province's HTML maps and A4 figures (offline by default)."""

from __future__ import annotations

import enum
import time
from pathlib import Path
from typing import Annotated

import typer

from tuquan import context

app = typer.Typer(help="Bản đồ / maps: HTML maps and A4 figures.", no_args_is_help=True)


class AssetChoice(enum.StrEnum):
    inline = "inline"
    folder = "folder"


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.2f} MB"


@app.command()
def build(
    province: Annotated[str, typer.Option(help="Province code, e.g. 37 for Ninh Bình")] = "37",
    out: Annotated[Path, typer.Option(help="Folder for the maps and figures")] = Path("out/maps"),
    basemap: Annotated[
        str | None,
        typer.Option(help="offline | osm | tile URL template; default: TUQUAN_BASEMAP"),
    ] = None,
    assets: Annotated[
        AssetChoice,
        typer.Option(help="inline: self-contained HTML; folder: shared files in tuquan-assets/"),
    ] = AssetChoice.inline,
) -> None:
    """Write the maps of a province (HTML, PNG, PDF) into OUT."""
    # Imported here: folium and matplotlib take a second to import, other commands need neither.
    from maps.base import MapOptions, province_base_map
    from maps.figures import province_figure
    from maps.province import load_province

    settings = context.settings()
    started = time.perf_counter()
    base = load_province(context.engine(), province)
    options = MapOptions(
        basemap=basemap or settings.basemap,
        basemap_attribution=settings.basemap_attribution,
        assets=assets.value,
    )
    saved = province_base_map(base, options).save(out / "base-map.html")
    figure = province_figure(base, out / "base-map")
    context.console.print(
        f"{base.full_name}: {len(base.communes)} xã, phường / communes, "
        f"{base.vertices_before:,} → {base.vertices_after:,} vertices "
        f"(simplified {base.tolerance_m:g} m), {time.perf_counter() - started:.1f} s"
    )
    for path in (saved.path, figure.png, figure.pdf):
        context.console.print(f"  {path}  ({_size(path)})", highlight=False)
    if saved.asset_files:
        context.console.print(f"  {saved.asset_files[0].parent}/ ({len(saved.asset_files)} files)")
