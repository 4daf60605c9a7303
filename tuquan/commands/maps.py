"""`tuquan maps build`: a province's HTML maps and A4 figures (offline by default)."""

from __future__ import annotations

import contextlib
import enum
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from gis.errors import InputError
from tuquan import context
from tuquan.commands.analysis import AsOf, Categories, End, Refresh, Start

app = typer.Typer(help="Bản đồ / maps: HTML maps and A4 figures.", no_args_is_help=True)


class AssetChoice(enum.StrEnum):
    inline = "inline"
    folder = "folder"


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} {value!r} is not a date", "write it as YYYY-MM-DD") from None


@contextlib.contextmanager
def _writing(out: Path) -> Iterator[None]:
    """A full disk or an unwritable folder while the maps are written: say where."""
    try:
        yield
    except OSError as exc:
        raise InputError(
            f"cannot write the maps into {out}: {exc.strerror}"
            + (f" ({exc.filename})" if exc.filename else ""),
            "free some disk space or give --out a folder you may write to",
        ) from None


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.2f} MB"


@app.command()
def build(
    province: Annotated[
        str, typer.Option(help="Province code, e.g. 37 for Ninh Bình; 'all': the national map")
    ] = "37",
    out: Annotated[Path, typer.Option(help="Folder for the maps and figures")] = Path("out/maps"),
    basemap: Annotated[
        str | None,
        typer.Option(help="offline | osm | tile URL template; default: TUQUAN_BASEMAP"),
    ] = None,
    assets: Annotated[
        AssetChoice,
        typer.Option(help="inline: self-contained HTML; folder: shared files in tuquan-assets/"),
    ] = AssetChoice.inline,
    as_of: AsOf = None,
    start: Start = None,
    end: End = None,
    category: Categories = None,
    top: Annotated[int, typer.Option(help="Candidates numbered on the planning map")] = 10,
    k: Annotated[int, typer.Option(help="New sites the covering optimiser places")] = 5,
    radius_m: Annotated[float, typer.Option(help="Coverage radius of a site, metres")] = 3000.0,
    bandwidth_m: Annotated[float, typer.Option(help="Kernel density bandwidth, metres")] = 1000.0,
    figures: Annotated[bool, typer.Option(help="Also write the A4 PNG/PDF figures")] = True,
    refresh: Refresh = False,
) -> None:
    """Write the maps of a province (HTML, PNG, PDF) into OUT and print their paths."""
    # Imported here: folium and matplotlib take a second to import, other commands need neither.
    from maps.base import MapOptions

    out.mkdir(parents=True, exist_ok=True)  # an unwritable folder fails before any work
    settings = context.settings()
    options = MapOptions(
        basemap=basemap or settings.basemap,
        basemap_attribution=settings.basemap_attribution,
        assets=assets.value,
    )
    if province == "all":
        _national(out, options, _date(as_of, "--as-of"), refresh)
        return
    from maps.build import BuildRequest, build_province_maps
    from maps.offline import basemap_layers
    from maps.province import load_province

    basemap_layers(options.basemap)  # a bad basemap setting fails before any work
    started = time.perf_counter()
    base = load_province(context.engine(), province)
    context.console.print(
        f"{base.full_name}: {len(base.communes)} xã, phường / communes, "
        f"{base.vertices_before:,} → {base.vertices_after:,} vertices "
        f"(simplified {base.tolerance_m:g} m)"
    )
    request = BuildRequest(
        province=province, out=out, options=options, as_of=_date(as_of, "--as-of"),
        start=_date(start, "--start"), end=_date(end, "--end"),
        categories=tuple(category) if category else None, top=top, k=k, radius_m=radius_m,
        bandwidth_m=bandwidth_m, refresh=refresh, figures=figures,
    )  # fmt: skip

    def show(item) -> None:
        for path in item.paths:
            context.console.print(f"  {path}  ({_size(path)})", highlight=False)
        if item.html.asset_files:
            folder = item.html.asset_files[0].parent
            context.console.print(f"  {folder}/ ({len(item.html.asset_files)} files)")

    with _writing(out):
        built = build_province_maps(context.engine(), request, base=base, on_map=show)
    context.console.print(
        f"{len(built)} bản đồ / maps in {time.perf_counter() - started:.1f} s → {out}"
    )


def _national(out: Path, options, as_of, refresh: bool) -> None:
    from maps.national import build_national_map

    started = time.perf_counter()
    with _writing(out):
        saved = build_national_map(context.engine(), out, options, as_of=as_of, refresh=refresh)
    context.console.print(
        f"Toàn quốc / national: {saved.communes:,} xã, phường / communes, "
        f"{saved.detail_files} tệp chi tiết / detail files, "
        f"{time.perf_counter() - started:.1f} s"
    )
    context.console.print(f"  {saved.html.path}  ({_size(saved.html.path)})", highlight=False)
    context.console.print(
        f"  {saved.detail_folder}/ ({saved.detail_bytes / 1e6:.2f} MB)", highlight=False
    )
