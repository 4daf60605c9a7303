"""`tuquan geocode`: one address (a readable answer) or a CSV column (a CSV out, with progress)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gis.errors import InputError
from gis.geocode_workers import worker_count
from gis.geocoding import Geocoder, GeocodeResult
from tuquan import context

RESULT_COLUMNS = (
    "status", "precision", "commune_code", "commune_name", "province_code", "province_name",
    "legacy", "lon", "lat", "score", "candidates", "reason",
)  # fmt: skip
STATUS_LABELS = {
    "matched": "khớp / matched",
    "ambiguous": "nhiều khả năng / ambiguous",
    "unmatched": "không tìm thấy / unmatched",
    "invalid": "không hợp lệ / invalid",
}


def _geocoder(addresses: int) -> Geocoder:
    """A geocoder for this many addresses: with batch workers (loading alongside it) only
    when so many would be shared between processes."""
    refiner = None
    settings = context.settings()
    if settings.geocode_online_url:
        from gis.geocode_online import OnlineRefiner

        refiner = OnlineRefiner.from_settings(settings)
    workers = (
        settings.geocode_workers if worker_count(settings.geocode_workers, addresses) > 1 else 1
    )
    return Geocoder.from_engine(context.engine(), refiner, workers)


def _print_one(r: GeocodeResult) -> None:
    console = context.console
    console.print(f"[bold]{STATUS_LABELS[r.status]}[/]  {r.text}", highlight=False)
    if r.commune_code:
        console.print(f"  xã / commune:     {r.commune_name} ({r.commune_code})", highlight=False)
    if r.province_code:
        console.print(f"  tỉnh / province:  {r.province_name} ({r.province_code})", highlight=False)
    if r.legacy:
        console.print(f"  trước 2025 / pre-2025: {r.legacy}", highlight=False)
    if r.lon is not None:
        console.print(f"  điểm / point:     {r.lat:.6f}, {r.lon:.6f} (lat, lon)", highlight=False)
    if r.precision:
        console.print(f"  độ chính xác / precision: {r.precision}", highlight=False)
    console.print(f"  điểm tin cậy / score: {r.score:.2f}", highlight=False)
    if r.candidates:
        table = Table("code", "xã / commune", "tỉnh / province", "score")
        for c in r.candidates:
            table.add_row(c.commune_code, c.commune_name, c.province_code, f"{c.score:.2f}")
        console.print(table)
    if r.reason:
        console.print(f"  lý do / reason: {r.reason}", highlight=False)


def _row(r: GeocodeResult) -> list[str]:
    values = r.as_dict()
    values["candidates"] = ";".join(c.commune_code for c in r.candidates)
    return ["" if values[c] is None else str(values[c]) for c in RESULT_COLUMNS]


def _geocode_file(path: Path, column: str, out: Path | None, use_cache: bool) -> None:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            rows = list(reader)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text", "save the CSV as UTF-8") from None
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV ({exc})", "check the file") from None
    if not header:
        raise InputError(f"{path}: the file is empty", "give a CSV with a header row")
    if column not in header:
        raise InputError(
            f"{path.name}: no column {column!r}",
            f"the columns are: {', '.join(header)}; name one with --column",
        )
    index = header.index(column)
    texts = [row[index] if index < len(row) else "" for row in rows]
    out = out or path.with_name(f"{path.stem}_geocoded.csv")
    clash = [c for c in RESULT_COLUMNS if c in header]
    if clash:
        raise InputError(
            f"{path.name} already has column(s) {', '.join(clash)}",
            "rename them: the output adds these columns",
        )
    with context.RichProgress() as progress:
        results = _geocoder(len(set(texts))).geocode_many(
            texts, progress=progress, use_cache=use_cache
        )
    tmp = out.with_name(f".{out.name}.part")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([*header, *RESULT_COLUMNS])
            for row, r in zip(rows, results, strict=True):
                writer.writerow([*row, *_row(r)])
        tmp.replace(out)
    except OSError as exc:  # a full disk or an unwritable folder: no half-written output
        tmp.unlink(missing_ok=True)
        raise InputError(
            f"cannot write {out}: {exc.strerror}",
            "free some disk space or give --out a folder you may write to",
        ) from None
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    summary = ", ".join(f"{STATUS_LABELS[s]}: {counts.get(s, 0)}" for s in STATUS_LABELS)
    context.console.print(f"{len(results)} rows → {out}  ({summary})", highlight=False)


def geocode(
    address: Annotated[
        str, typer.Argument(help="An address or coordinates, or a CSV file (with --column)")
    ],
    column: Annotated[str, typer.Option(help="CSV column holding the addresses")] = "address",
    out: Annotated[
        Path | None, typer.Option(help="Output CSV (default: FILE_geocoded.csv)")
    ] = None,
    cache: Annotated[bool, typer.Option(help="Use the geocode cache table")] = True,
) -> None:
    """Mã hóa địa chỉ / geocode an address, coordinates or a CSV column (works offline)."""
    path = Path(address)
    if address.lower().endswith(".csv") or (len(address) < 4096 and path.is_file()):
        if not path.is_file():
            raise InputError(f"{address}: no such file", "check the path")
        _geocode_file(path, column, out, cache)
        return
    result = _geocoder(1).geocode_many([address], use_cache=cache)[0]
    _print_one(result)
