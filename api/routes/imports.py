"""Uploads to the import path (multipart), and import batches read back.

The same validation as `tuquan import`, reported as JSON: 201 when written, 200 for an
accepted dry run, 422 with the row report when the file is refused. Officers import only
rows inside their scope (the others are reported) and read back only their own batches.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse

from api.deps import EngineDep, SettingsDep
from api.errors import problem
from api.models.imports import BatchReport, ImportReport
from api.models.problems import INVALID, NOT_FOUND, TOO_LARGE
from api.places import PlacesDep
from api.security import PrincipalDep, access
from gis.ingest.batches import batch_report
from gis.ingest.pipeline import ImportOptions, ImportResult
from gis.ingest.upload import import_upload, parse_upload_mapping

router = APIRouter(prefix="/imports", tags=["Imports"])
MAX_REPORTED = 5000  # problems in one answer; a written batch keeps all of them


def _report(result: ImportResult) -> dict:
    problems = []
    for i, p in enumerate(result.problems):
        if i == MAX_REPORTED:
            break
        problems.append(
            {"row": p.row, "column": p.column, "value": p.value, "message": p.message,
             "severity": p.severity}
        )  # fmt: skip
    total = result.problems.errors + result.problems.warnings
    return {"summary": result.summary(), "problems": problems, "problems_total": total}


@router.post(
    "/{kind}",
    summary="Upload a file of sites or incidents",
    status_code=201,
    response_model=ImportReport,
    responses={200: {"model": ImportReport, "description": "dry run"}, 413: TOO_LARGE,
               422: INVALID},
)  # fmt: skip
@access("officer")
def upload(
    kind: Literal["sites", "incidents"],
    file: Annotated[UploadFile, File(description="CSV, XLSX or GeoJSON")],
    engine: EngineDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    places: PlacesDep,
    dry_run: Annotated[bool, Form(description="check everything, write nothing")] = False,
    skip_bad_rows: Annotated[bool, Form(description="write the good rows")] = False,
    mapping: Annotated[
        str | None,
        Form(
            max_length=10_000,
            description='{"field": "Header"} or field=Header lines',
            examples=['{"occurred_at": "Thời điểm phát hiện"}'],
        ),
    ] = None,
    source: Annotated[
        str, Form(min_length=1, max_length=200, description="incidents: default source")
    ] = "default",
) -> JSONResponse:
    """All or nothing unless skip_bad_rows; every problem named by row, column and value."""
    options = ImportOptions(
        skip_bad_rows=skip_bad_rows, dry_run=dry_run, mapping=parse_upload_mapping(mapping),
        source=source, imported_by=principal.username, scope=principal.scope, actor=principal,
    )  # fmt: skip
    result = import_upload(
        engine, file.file, file.filename, kind, options,
        max_bytes=int(settings.max_upload_mb * 1e6), locator=places,
    )  # fmt: skip
    try:
        report = ImportReport.model_validate(_report(result)).model_dump(mode="json")
    finally:
        result.problems.close()
    if not result.accepted:
        return problem(
            422,
            f"{result.file.name}: {result.problems.rejected_rows} bad row(s), "
            f"{result.problems.errors} problem(s); nothing was imported",
            "fix the rows listed in 'problems', or send skip_bad_rows=true",
            **report,
        )
    return JSONResponse(report, status_code=201 if result.written else 200)


@router.get("/{batch_id}", summary="An import batch and its row problems",
            responses={404: NOT_FOUND})  # fmt: skip
@access("officer")
def get_batch(batch_id: int, engine: EngineDep, principal: PrincipalDep) -> BatchReport:
    """Your own batches (admins: all); any other id is answered as missing."""
    return BatchReport.model_validate(batch_report(engine, batch_id, principal))
