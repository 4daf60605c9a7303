"""Checks shared by sites and incidents: the chunk's problems, text cells, and placing rows.

Every check is an array operation over a chunk; a row with any error is left out of the
staged rows (and reported), a row with only warnings is staged and reported.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gis.errors import InputError
from gis.ingest import vocab
from gis.ingest.fields import fields_for
from gis.ingest.locate import Located, Locator
from gis.ingest.report import REPORT_COLUMNS
from gis.ingest.table import EXTRA, GEOMETRY_KIND, GEOMETRY_LAT, GEOMETRY_LON, ROW
from gis.ingest.values import map_distinct, parse_coordinate_pairs, parse_numbers
from gis.normalise import nfc

MISSING = "thiếu / missing {label}"
NOWHERE = "thiếu địa chỉ và tọa độ / no address and no coordinates: give one of them"
EXTRA_CELLS = (
    "dòng có nhiều ô hơn tiêu đề ({n}) / more cells than the header: an unquoted "
    "delimiter inside a cell? Quote the cell or remove the extra cells"
)


def missing(values: np.ndarray) -> np.ndarray:
    """True where an object array holds None (or NaN)."""
    return pd.isna(values)


@dataclass
class Context:
    """What every chunk of one import shares."""

    kind: str  # sites | incidents
    headers: list[str]
    columns: dict[str, int]  # field key → column position
    locator: Locator
    source: str = "default"
    synthetic: bool = False
    now: pd.Timestamp = field(default_factory=lambda: pd.Timestamp.now(tz="UTC"))
    memo: dict = field(default_factory=dict)  # per column: what earlier chunks taught

    def label(self, key: str) -> str:
        """The header the user wrote for a field, else the field's own label."""
        if key in (GEOMETRY_LON, GEOMETRY_LAT, GEOMETRY_KIND):
            return "geometry"
        if key in self.columns:
            return self.headers[self.columns[key]]
        return next(f.label for f in fields_for(self.kind) if f.key == key)

    def cells(self, chunk: pd.DataFrame, key: str) -> pd.Series | None:
        """The text of a field's column (stripped by `strip_cells`), or None when absent."""
        if key not in self.columns:
            return None
        return chunk[self.columns[key]]


def strip_cells(chunk: pd.DataFrame, positions) -> pd.DataFrame:
    """The chunk with the used columns as stripped Python str (object dtype), once; a NUL
    character (binary data: PostgreSQL cannot store it) refuses the file by row."""
    out = chunk.copy(deep=False)
    for pos in set(positions):
        values = [v.strip() for v in chunk[pos].to_numpy(dtype=object)]
        if "\x00" in "".join(values):  # one pass in C; the row is looked for only then
            row = chunk[ROW].to_numpy()[next(i for i, v in enumerate(values) if "\x00" in v)]
            raise InputError(
                f"row {row}, column {pos + 1}: a NUL character (binary data): the file is "
                "damaged or not a text table",
                "open it in Excel or LibreOffice and save it again (CSV UTF-8 or XLSX)",
            )
        out[pos] = pd.Series(values, index=chunk.index, dtype=object)
    return out


class Checks:
    """Problems of one chunk, and which rows they reject."""

    def __init__(self, rows: np.ndarray) -> None:
        self.rows = rows
        self.bad = np.zeros(len(rows), dtype=bool)
        self.frames: list[pd.DataFrame] = []

    def flag(self, mask, column: str, values, messages, severity: str = "error") -> None:
        """Record ``messages`` (one, or one per row) where ``mask`` holds."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        msgs = messages[mask] if isinstance(messages, np.ndarray) else messages
        vals = None if values is None else np.asarray(values, dtype=object)[mask]
        frame = {"row": self.rows[mask], "column": column, "value": vals, "message": msgs}
        self.frames.append(pd.DataFrame({**frame, "severity": severity}))
        if severity == "error":
            self.bad |= mask

    def flag_messages(self, messages: np.ndarray, column: str, values, severity="error") -> None:
        """Record the entries of a per-row message array that are not None."""
        self.flag(~missing(messages), column, values, messages, severity)

    def problems(self) -> pd.DataFrame:
        if not self.frames:
            return pd.DataFrame(columns=list(REPORT_COLUMNS))
        return pd.concat(self.frames, ignore_index=True)


_IS_ASCII = np.frompyfunc(str.isascii, 1, 1)


def text(cells: pd.Series | None, n: int) -> np.ndarray:
    """NFC text per row, None where empty or absent (each distinct value normalised once)."""
    if cells is None:
        return np.full(n, None, dtype=object)
    values = cells.to_numpy(dtype=object)
    # ASCII needs no normalisation: only the rest goes through nfc (once per distinct value).
    ascii_ = _IS_ASCII(values).astype(bool)
    out = np.where(values == "", None, values)
    if not ascii_.all():
        out[~ascii_] = map_distinct(cells[~ascii_], lambda v: nfc(v) or None).to_numpy(dtype=object)
    return out


def vocabulary(
    checks: Checks, ctx: Context, cells: pd.Series, phrases, choices: str, key: str
) -> np.ndarray:
    """Keys of a vocabulary column (None where empty); unknown values are errors."""
    found = map_distinct(cells, lambda v: vocab.match_phrase(v, phrases)).to_numpy(dtype=object)
    unknown = missing(found) & (cells != "").to_numpy()
    checks.flag(unknown, ctx.label(key), cells.to_numpy(), f"không rõ / unknown: use {choices}")
    return found


def require(checks: Checks, ctx: Context, key: str, values: np.ndarray) -> None:
    """Rows where a required field is empty are errors."""
    checks.flag(missing(values), ctx.label(key), None, MISSING.format(label=ctx.label(key)))


def flags(checks: Checks, ctx: Context, chunk: pd.DataFrame, key: str, default: bool) -> np.ndarray:
    """A yes/no column ('x', 'có', 'yes' …); unreadable values are errors."""
    cells = ctx.cells(chunk, key)
    if cells is None:
        return np.full(len(chunk), default)
    parsed = map_distinct(cells, vocab.parse_flag).to_numpy(dtype=object)
    checks.flag(
        missing(parsed), ctx.label(key), cells.to_numpy(),
        "không rõ / unknown: write x (or có / yes), or leave the cell empty",
    )  # fmt: skip
    return np.where(parsed == True, True, default)  # noqa: E712 — elementwise


def digest(*columns: np.ndarray) -> np.ndarray:
    """A reference derived from a row's content, for files without a reference column."""
    rows = zip(*columns, strict=True)
    joined = ("\x1f".join("" if v is None else str(v) for v in row) for row in rows)
    return np.array(
        ["auto:" + hashlib.sha1(t.encode()).hexdigest()[:20] for t in joined], dtype=object
    )


def _coordinates(chunk: pd.DataFrame, ctx: Context, checks: Checks):
    """(lon, lat) per row from the geometry, lat/lon columns or a coordinates column, and
    which rows had coordinates that could not be read."""
    n = len(chunk)
    lon, lat = np.full(n, np.nan), np.full(n, np.nan)
    unreadable = np.zeros(n, dtype=bool)
    for lon_key, lat_key in ((GEOMETRY_LON, GEOMETRY_LAT), ("lon", "lat")):
        if lon_key not in ctx.columns or lat_key not in ctx.columns:
            continue
        lon_cells, lat_cells = ctx.cells(chunk, lon_key), ctx.cells(chunk, lat_key)
        x, y = parse_numbers(lon_cells).to_numpy(), parse_numbers(lat_cells).to_numpy()
        for cells, values, key in ((lon_cells, x, lon_key), (lat_cells, y, lat_key)):
            bad = np.isnan(values)
            if bad.any():
                bad &= (cells != "").to_numpy()
            checks.flag(bad, ctx.label(key), cells, "không phải số / not a number")
            unreadable |= bad
        half = (np.isnan(x) != np.isnan(y)) & ~unreadable
        checks.flag(
            half, ctx.label(lat_key), lat_cells,
            "chỉ có một trong vĩ độ, kinh độ / only one of latitude and longitude is given",
        )  # fmt: skip
        unreadable |= half
        take = np.isnan(lon) & ~np.isnan(x) & ~np.isnan(y)
        lon[take], lat[take] = x[take], y[take]
    if "coords" in ctx.columns:
        cells = ctx.cells(chunk, "coords")
        x, y, messages = parse_coordinate_pairs(cells)
        checks.flag_messages(messages, ctx.label("coords"), cells)
        unreadable |= ~missing(messages)
        take = np.isnan(lon) & ~np.isnan(x)
        lon[take], lat[take] = x[take], y[take]
    if GEOMETRY_KIND in ctx.columns:
        kinds = ctx.cells(chunk, GEOMETRY_KIND)
        other = (kinds != "").to_numpy()
        checks.flag(
            other, "geometry", kinds,
            "hình học không phải điểm / the geometry is not a Point: give each record a point",
        )  # fmt: skip
        unreadable |= other
    lon[unreadable], lat[unreadable] = np.nan, np.nan
    return lon, lat, unreadable


def place(chunk: pd.DataFrame, ctx: Context, checks: Checks) -> tuple[Located, np.ndarray]:
    """Where each row is (coordinates, else geocoded address), and its NFC address."""
    if EXTRA in chunk:
        spill = (chunk[EXTRA] != "").to_numpy()
        message = EXTRA_CELLS.format(n=len(ctx.headers))
        checks.flag(spill, "(cells beyond the header)", chunk[EXTRA], message)
    lon, lat, unusable = _coordinates(chunk, ctx, checks)
    address = ctx.cells(chunk, "address")
    if address is not None:
        address = address.where(~unusable, "")
    located = ctx.locator.locate(lon, lat, address)
    given = ~np.isnan(lon)
    coordinates_column = "coords" if "coords" in ctx.columns else "lat"
    if GEOMETRY_LAT in ctx.columns:
        coordinates_column = GEOMETRY_LAT
    failed = ~missing(located.errors)
    at_point = failed & given
    if at_point.any():
        written = np.full(len(lon), None, dtype=object)
        written[at_point] = [f"{b}, {a}" for a, b in zip(lon[at_point], lat[at_point], strict=True)]
        checks.flag(at_point, ctx.label(coordinates_column), written, located.errors)
    has_address = np.zeros(len(lon), dtype=bool)
    if address is not None:
        has_address = (address != "").to_numpy()
        checks.flag(failed & ~given, ctx.label("address"), address, located.errors)
        checks.flag_messages(located.warnings, ctx.label("address"), address, "warning")
    checks.flag(~given & ~has_address & ~unusable, ctx.label("address"), None, NOWHERE)
    return located, text(address, len(chunk))
