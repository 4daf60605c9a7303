"""An uploaded file through the import path: the upload's name is shown, never used as a path.

The bytes go to a private temporary folder (mode 0700) under a fixed name that keeps only
an allowed suffix (which decides the reader); the name the user gave is recorded with the
batch and shown in the report. The size limit is checked while copying.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import unicodedata
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from sqlalchemy.engine import Engine

from gis.errors import InputError
from gis.ingest.fields import parse_mapping
from gis.ingest.pipeline import ImportOptions, ImportResult, import_file
from gis.ingest.readers import CSV_SUFFIXES, GEOJSON_SUFFIXES, XLSX_SUFFIXES

ALLOWED_SUFFIXES = (*CSV_SUFFIXES, *XLSX_SUFFIXES, *GEOJSON_SUFFIXES)
MAX_NAME_CHARS = 200
BLOCK_BYTES = 1 << 20


class UploadTooLarge(InputError):
    """The uploaded file is larger than the limit (TUQUAN_MAX_UPLOAD_MB)."""


def display_name(file_name: str | None) -> str:
    """The last part of an uploaded file's name, NFC, printable, at most 200 characters."""
    base = PurePosixPath((file_name or "").replace("\\", "/")).name
    text = "".join(c for c in unicodedata.normalize("NFC", base) if c.isprintable())
    return text[-MAX_NAME_CHARS:] or "upload"


def upload_suffix(name: str) -> str:
    """The reader's suffix of an upload (.csv, .xlsx, .geojson…), or InputError."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise InputError(
            f"{name}: unknown file type {suffix or '(none)'}",
            "upload a .csv, .xlsx or .geojson file (old .xls: save it as .xlsx first)",
        )
    return suffix


def parse_upload_mapping(text: str | None) -> dict[str, str]:
    """A mapping given in a form: a JSON object, or 'field=Header' lines."""
    if not text or not text.strip():
        return {}
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InputError(f"mapping is not valid JSON: {exc}", '{"field": "Header"}') from None
        if not isinstance(data, dict):
            raise InputError("mapping is not a JSON object", 'give {"field": "Header", ...}')
        return {str(k): str(v) for k, v in data.items()}
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:  # never a file name here: parse_mapping would read such a path
        if "=" not in line:
            raise InputError(f"mapping {line!r} is not field=Header", "one field=Header a line")
    return parse_mapping(lines)


def save_limited(stream: BinaryIO, path: Path, max_bytes: int) -> int:
    """Copy ``stream`` to ``path`` (created, mode 0600); UploadTooLarge past ``max_bytes``."""
    written = 0
    with open(path, "xb") as out:
        path.chmod(0o600)
        while block := stream.read(BLOCK_BYTES):
            written += len(block)
            if written > max_bytes:
                raise UploadTooLarge(
                    f"the file is larger than {max_bytes / 1e6:g} MB",
                    "split it into smaller files, or import it with `tuquan import` on the server",
                )
            out.write(block)
    return written


def import_upload(
    engine: Engine,
    stream: BinaryIO,
    file_name: str | None,
    kind: str,
    options: ImportOptions,
    max_bytes: int,
    locator=None,
) -> ImportResult:
    """Import an uploaded file (see the module text); the result names the upload."""
    name = display_name(file_name)
    suffix = upload_suffix(name)
    folder = Path(tempfile.mkdtemp(prefix="tuquan-upload-"))  # mode 0700
    try:
        path = folder / f"upload{suffix}"
        save_limited(stream, path, max_bytes)
        try:
            result = import_file(
                engine, path, kind, replace(options, file_name=name), locator=locator
            )
        except InputError as exc:
            raise InputError(exc.message.replace(str(path), name).replace(path.name, name),
                             exc.hint) from None  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result.file = Path(name)
    return result
