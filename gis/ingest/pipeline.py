"""One import, start to end: open, recognise headers, stream chunks, stage, upsert, report.

The whole import is one transaction: in all-or-nothing mode any bad row means nothing is
written (every bad row is still reported); with ``skip_bad_rows`` the good rows are written
and the bad ones recorded with the batch; a dry run does everything, then rolls back.
"""

from __future__ import annotations

import copy
import getpass
import hashlib
import time
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from gis import audit
from gis.errors import InputError
from gis.ingest import staging, writer
from gis.ingest.chunks import Clock, Stager, checker, learned
from gis.ingest.dedupe import ReferenceLog
from gis.ingest.fields import apply_mapping, fields_for, is_personal, recognise
from gis.ingest.locate import Locator
from gis.ingest.outcome import ImportOptions, ImportResult
from gis.ingest.prepare import file_warnings, prepare_incidents, prepare_sites
from gis.ingest.readers import open_table
from gis.ingest.report import ProblemLog, RowProblem
from gis.ingest.table import GEOMETRY_KIND, GEOMETRY_LAT, GEOMETRY_LON
from gis.ingest.validate import Context
from gis.ingest.workers import checked_in_order, process_count
from gis.progress import NoProgress, Progress
from gis.settings import Settings

REQUIRED = {"incidents": ("occurred_at", "category"), "sites": ("name", "kind")}
PLACE_FIELDS = ("address", "lat", "lon", "coords", GEOMETRY_LON)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _header_chooser(kind: str, mapping: dict[str, str]):
    """Pick the header row: the first of the most-recognised rows among the first lines."""
    wanted = {h.strip() for h in mapping.values()}

    def choose(rows: list[list[str]]) -> int:
        scores = [
            len(recognise(kind, [str(c) for c in row])) + len(wanted & {str(c) for c in row})
            for row in rows
        ]
        return max(range(len(scores)), key=lambda i: (scores[i], -i)) if scores else 0

    return choose


def _columns(kind: str, table, options: ImportOptions, log: ProblemLog) -> dict[str, int]:
    headers = table.headers
    found = recognise(kind, headers)
    if table.format == "geojson":
        n = len(headers)
        found.update({GEOMETRY_LON: n - 3, GEOMETRY_LAT: n - 2, GEOMETRY_KIND: n - 1})
    found = apply_mapping(kind, headers, found, options.mapping)
    labels = {f.key: f.label for f in fields_for(kind)}
    listed = ", ".join(repr(h) for h in headers if h and not h.startswith("__")) or "(none)"
    for key in REQUIRED[kind]:
        if key not in found:
            log.add(
                RowProblem(
                    table.header_row, labels[key], None,
                    f"thiếu cột bắt buộc / missing required column {labels[key]}; columns "
                    f"found: {listed}. Rename the column or use --mapping {key}=<header>",
                )
            )  # fmt: skip
    if not any(k in found for k in PLACE_FIELDS):
        log.add(
            RowProblem(
                table.header_row, "Địa chỉ / address", None,
                "thiếu cột địa chỉ hoặc tọa độ / no address or coordinates column; columns "
                f"found: {listed}. Use --mapping address=<header> (or lat=… lon=…)",
            )
        )  # fmt: skip
    return found


def import_file(
    engine: Engine,
    path: Path,
    kind: str,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
    locator: Locator | None = None,
) -> ImportResult:
    """Import sites or incidents from a CSV, XLSX or GeoJSON file (see module docstring)."""
    options = options or ImportOptions()
    progress = progress or NoProgress()
    started = time.perf_counter()
    path = Path(path)
    fields_for(kind)
    table = open_table(path, _header_chooser(kind, options.mapping))
    log = ProblemLog()
    columns = _columns(kind, table, options, log)
    used = set(columns.values())
    personal = [h for h in table.headers if h and is_personal(kind, h)]
    ignored = [
        h for i, h in enumerate(table.headers) if h and i not in used and not h.startswith("__")
    ]
    result = ImportResult(
        kind=kind, file=path, sha256=sha256_file(path), format=table.format,
        mode="skip_bad_rows" if options.skip_bad_rows else "all_or_nothing",
        dry_run=options.dry_run,
        columns={k: table.headers[i] for k, i in columns.items() if not k.startswith("__")},
        ignored_columns=ignored, personal_columns=personal, problems=log,
        encoding=table.encoding, delimiter=table.delimiter,
    )  # fmt: skip
    if log.errors:  # the header is unusable: nothing to read
        result.seconds = time.perf_counter() - started
        return result
    labels = {f.key: f.label for f in fields_for(kind)}
    for key, message in file_warnings(kind, columns):
        log.add(RowProblem(table.header_row, labels[key], None, message, "warning"))
    ctx = Context(
        kind=kind, headers=table.headers, columns=columns,
        locator=locator or Locator(engine), source=options.source, synthetic=options.synthetic,
    )  # fmt: skip
    prepare = prepare_sites if kind == "sites" else prepare_incidents
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            batch_id = writer.begin_batch(
                conn,
                {
                    "kind": kind, "file_name": options.file_name or path.name,
                    "sha256": result.sha256,
                    "imported_by": options.imported_by or getpass.getuser(),
                    "mode": result.mode, "is_synthetic": options.synthetic,
                    "source": options.source if kind == "incidents" else None,
                },
            )  # fmt: skip
            staging.create_staging(conn, kind)
            references = ReferenceLog()
            advance = progress.task(f"Đọc / reading {path.name}", table.total)
            raw = conn.connection.driver_connection
            utf8 = raw.info.encoding == "utf-8"  # as the COPY data workers format
            # Workers check chunks where no row needs the database (the geocoder does).
            # Workers format the COPY data with psycopg's own (non-public) formatter.
            parallel = utf8 and "address" not in columns and staging.BinaryFormatter is not None
            processes = 1
            if parallel:
                configured = options.processes
                if configured is None:
                    configured = Settings().import_workers
                processes = process_count(configured)
            # Once workers are forked, chunks are formatted for COPY where they are checked.
            formatting = {"now": False}
            check = checker(ctx, prepare, options.scope, formatting)
            clock = Clock(result.timings)
            stager = Stager(conn, kind)
            memo = learned(ctx.memo)  # what the chunks before taught, in file order
            try:
                for chunk, checked in checked_in_order(
                    clock.reading(table.pieces(options.chunk_rows, advance)), check,
                    processes, (raw.fileno(),), lambda: formatting.update(now=True),
                ):  # fmt: skip
                    if checked.memo_in != memo:
                        # Checked elsewhere before an earlier chunk taught the file's date
                        # format: checked again, knowing what the chunks before it taught.
                        ctx.memo = copy.deepcopy(memo)
                        checked = check(chunk)
                    memo = checked.memo_out
                    clock.checked()
                    result.rows_total += checked.rows
                    log.add_frame(checked.outside)
                    result.synthetic_rows += checked.synthetic
                    log.add_frame(checked.problems)
                    stager.write(checked.staged)
                    references.add_hashes(checked.row_numbers, checked.key_hashes)
                    result.rows_imported += len(checked.row_numbers)
                    clock.staged()
            except BaseException:
                stager.close(abandon=True)  # the connection is this thread's again
                raise
            stager.close()  # every chunk written
            clock.staged()  # the last reading (the end of the file) and writing
            tick = clock.tick
            _check_duplicates(conn, kind, result, ctx.label("ref"), references.candidates())
            tick = result._timed("stage", tick)
            if result.accepted:
                advance = progress.task("Ghi / writing", None)
                by = options.imported_by or getpass.getuser()
                counts = (
                    writer.upsert_sites(conn, batch_id, by)
                    if kind == "sites"
                    else writer.upsert_incidents(conn, batch_id)
                )
                result.inserted, result.updated = counts["inserted"], counts["updated"]
                result.unchanged = result.rows_imported - result.inserted - result.updated
                writer.finish_batch(conn, batch_id, _counts(result, options))
                writer.store_problems(conn, batch_id, log)
                summary = result.summary() | {"file": options.file_name or path.name}
                audit.record(conn, options.actor or by, "import", kind, batch_id, None, summary)
                advance(1)
                tick = result._timed("merge", tick)
            if result.written:
                transaction.commit()
                result.batch_id = batch_id
            else:
                transaction.rollback()
        except BaseException:
            transaction.rollback()
            raise
    result.seconds = time.perf_counter() - started
    return result


def _check_duplicates(conn, kind: str, result: ImportResult, column: str, rows) -> None:
    dups = writer.duplicates(conn, kind, rows)
    if dups.empty:
        return
    result.problems.add_frame(
        pd.DataFrame(
            {
                "row": dups["row"], "column": column, "value": dups["ref"],
                "message": "mã trùng trong tệp / duplicate reference in this file: "
                "first used at row " + dups["first_row"].astype(str)
                + " (that row is kept with --skip-bad-rows)",
                "severity": "error",
            }
        )
    )  # fmt: skip
    writer.drop_rows(conn, kind, dups["row"].tolist())
    result.rows_imported -= len(dups)


def _counts(result: ImportResult, options: ImportOptions) -> dict:
    return {
        "rows_total": result.rows_total, "rows_imported": result.rows_imported,
        "rows_rejected": result.rows_rejected, "inserted": result.inserted,
        "updated": result.updated, "unchanged": result.unchanged,
        "warnings": result.problems.warned_rows,
        "is_synthetic": options.synthetic
        or (result.rows_imported > 0 and result.synthetic_rows >= result.rows_imported),
    }  # fmt: skip


def ensure_readable(path: Path) -> None:
    """Refuse a path that is not a file before any work starts."""
    if not Path(path).is_file():
        raise InputError(f"{path}: no such file", "check the path")
