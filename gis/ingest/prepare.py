"""A chunk of cells → staged site or incident rows, plus the chunk's problems."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis.domain import COMPONENTS
from gis.ingest import vocab
from gis.ingest.table import ROW
from gis.ingest.validate import (
    Checks,
    Context,
    digest,
    flags,
    map_distinct,
    missing,
    place,
    require,
    text,
    vocabulary,
)
from gis.ingest.values import add_time_of_day, parse_datetimes

ALL_COMPONENTS = "{" + ",".join(str(i) for i in range(1, len(COMPONENTS) + 1)) + "}"
COMPONENTS_HELP = (
    "không rõ nội dung / unknown components: numbers 1–5 or names separated by commas "
    "(e.g. '1, 2, 4' or 'tội phạm; tệ nạn xã hội'), or 'tất cả' for all five"
)
ALL_FIVE = "ghi nhận đủ 5 nội dung / recorded with all five components (1–5, the '5 tự quản' model)"
NO_COMPONENTS_COLUMN = (
    "không có cột nội dung tự quản / no components column: every site is " + ALL_FIVE
    + "; add a 'Nội dung tự quản' column (e.g. '1, 2, 4') for sites that run fewer"
)  # fmt: skip
EMPTY_COMPONENTS = (
    "ô trống / empty cell: " + ALL_FIVE + "; write the numbers (e.g. '1, 2, 4') if it runs fewer"
)
NO_REF_COLUMN = (
    "không có cột mã / no reference column: re-importing a corrected file will add new rows "
    "instead of updating: add a '{example}'/'ref' column"
)
REF_EXAMPLE = {"sites": "Mã mô hình", "incidents": "Mã vụ việc"}
STATUS_BEFORE_START = (
    "ngày chuyển trạng thái trước ngày bắt đầu / the status date is before the start date"
)


def file_warnings(kind: str, columns: dict[str, int]) -> list[tuple[str, str]]:
    """(field, message) for what a file leaves to defaults: its rows import, but say so."""
    warnings = []
    if "ref" not in columns:
        warnings.append(("ref", NO_REF_COLUMN.format(example=REF_EXAMPLE[kind])))
    if kind == "sites" and "components" not in columns:
        warnings.append(("components", NO_COMPONENTS_COLUMN))
    return warnings


def _when(checks: Checks, ctx: Context, chunk: pd.DataFrame, key: str, required: bool):
    """Parsed timestamps (UTC) of a date column, with its problems recorded."""
    cells = ctx.cells(chunk, key)
    if cells is None:
        return pd.Series(pd.NaT, index=chunk.index, dtype="datetime64[us, UTC]")
    when, messages = parse_datetimes(cells, ctx.now, ctx.memo.setdefault(key, {}))
    checks.flag_messages(messages, ctx.label(key), cells)
    if required:
        require(checks, ctx, key, np.where(cells == "", None, "x"))
    return when


def prepare_incidents(chunk: pd.DataFrame, ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Staged incident rows and the chunk's problems."""
    n = len(chunk)
    checks = Checks(chunk[ROW].to_numpy())
    when = _when(checks, ctx, chunk, "occurred_at", required=True)
    if "time_of_day" in ctx.columns:
        cells = ctx.cells(chunk, "time_of_day")
        when, messages = add_time_of_day(when, cells)
        checks.flag_messages(messages, ctx.label("time_of_day"), cells)
    category_cells = ctx.cells(chunk, "category")
    category = vocabulary(
        checks, ctx, category_cells, vocab.CATEGORY_PHRASES, vocab.CATEGORY_CHOICES, "category"
    )
    require(checks, ctx, "category", np.where(category_cells == "", None, "x"))
    # "Trộm cắp" says more than its category: keep it as the subcategory when none is given.
    subcategory = text(ctx.cells(chunk, "subcategory"), n)
    generic = map_distinct(category_cells, vocab.is_generic_category).to_numpy(dtype=bool)
    from_category = missing(subcategory) & ~generic
    subcategory[from_category] = text(category_cells, n)[from_category]
    source = text(ctx.cells(chunk, "source"), n)
    source[missing(source)] = ctx.source
    located, address = place(chunk, ctx, checks)
    ref = text(ctx.cells(chunk, "ref"), n)
    if "ref" in ctx.columns:
        require(checks, ctx, "ref", ref)
    else:
        stamp = when.astype(str).to_numpy()
        ref = digest(source, stamp, category, subcategory, address, located.lon, located.lat)
    synthetic = flags(checks, ctx, chunk, "synthetic", ctx.synthetic)
    staged = pd.DataFrame(
        {
            "row_number": checks.rows, "province_code": located.province_code,
            "source": source, "external_ref": ref,
            "occurred_us": when.dt.as_unit("us").array.asi8,
            "category": category, "subcategory": subcategory, "address": address,
            "commune_code": located.commune_code, "lon": located.lon, "lat": located.lat,
            "precision": located.precision, "score": located.score,
            "address_commune_code": located.address_commune_code, "is_synthetic": synthetic,
        }
    )  # fmt: skip
    return staged[~checks.bad], checks.problems()


def _local_dates(when: pd.Series) -> np.ndarray:
    local = (when + pd.Timedelta(hours=7)).dt.date
    return local.astype(object).where(when.notna(), None).to_numpy()


def prepare_sites(chunk: pd.DataFrame, ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Staged site rows and the chunk's problems."""
    n = len(chunk)
    checks = Checks(chunk[ROW].to_numpy())
    name = text(ctx.cells(chunk, "name"), n)
    require(checks, ctx, "name", name)
    kind_cells = ctx.cells(chunk, "kind")
    kind = vocabulary(checks, ctx, kind_cells, vocab.KIND_PHRASES, vocab.KIND_CHOICES, "kind")
    require(checks, ctx, "kind", np.where(kind_cells == "", None, "x"))
    components = np.full(n, ALL_COMPONENTS, dtype=object)  # the model is "5 tự quản"
    if "components" in ctx.columns:
        cells = ctx.cells(chunk, "components")
        parsed = map_distinct(cells, vocab.parse_components).to_numpy(dtype=object)
        checks.flag(missing(parsed) & (cells != "").to_numpy(), ctx.label("components"), cells,
                    COMPONENTS_HELP)  # fmt: skip
        checks.flag((cells == "").to_numpy(), ctx.label("components"), None, EMPTY_COMPONENTS,
                    "warning")  # fmt: skip
        given = ~missing(parsed)
        components[given] = ["{" + ",".join(map(str, p)) + "}" for p in parsed[given]]
    started = _when(checks, ctx, chunk, "started_on", required=False)
    status_on = _when(checks, ctx, chunk, "status_on", required=False)
    checks.flag((status_on < started).to_numpy(), ctx.label("status_on"),
                ctx.cells(chunk, "status_on"), STATUS_BEFORE_START)  # fmt: skip
    status = np.where(started.isna(), "planned", "replicated").astype(object)
    if "status" in ctx.columns:
        cells = ctx.cells(chunk, "status")
        found = vocabulary(checks, ctx, cells, vocab.STATUS_PHRASES, vocab.STATUS_CHOICES, "status")
        status = np.where(missing(found), status, found)
    pilot = flags(checks, ctx, chunk, "is_pilot", False)
    located, address = place(chunk, ctx, checks)
    ref = text(ctx.cells(chunk, "ref"), n)
    if "ref" in ctx.columns:
        require(checks, ctx, "ref", ref)
    else:
        folded = np.array([vocab.folded(v) if v else "" for v in name], dtype=object)
        ref = digest(folded, kind, located.commune_code)
    staged = pd.DataFrame(
        {
            "row_number": checks.rows, "province_code": located.province_code, "ref": ref,
            "name": name, "kind": kind, "components": components, "status": status,
            "started_on": _local_dates(started), "status_on": _local_dates(status_on),
            "is_pilot": pilot, "host_unit": text(ctx.cells(chunk, "host_unit"), n),
            "address": address, "commune_code": located.commune_code,
            "lon": located.lon, "lat": located.lat, "precision": located.precision,
            "score": located.score, "address_commune_code": located.address_commune_code,
            "notes": text(ctx.cells(chunk, "notes"), n),
            "is_synthetic": flags(checks, ctx, chunk, "synthetic", ctx.synthetic),
        }
    )  # fmt: skip
    return staged[~checks.bad], checks.problems()
