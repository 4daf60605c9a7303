"""The one map from domain exceptions to HTTP problem responses (RFC 9457)."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from gis import auth, errors
from gis.ingest.upload import UploadTooLarge

log = logging.getLogger("tuquan.api")
PROBLEM = "application/problem+json"
RETRY_AFTER_S = 5

# Most specific first: the first matching class decides the status.
STATUS: tuple[tuple[type[errors.TuquanError], int], ...] = (
    (auth.NotAuthenticated, 401),
    (auth.TooManyAttempts, 429),
    (errors.NotFound, 404),
    (UploadTooLarge, 413),
    (errors.ChecksumMismatch, 422),
    (errors.InputError, 422),
    (errors.DatabaseUnavailable, 503),
    (errors.SourceUnavailable, 502),
    (errors.ConfigurationError, 500),
    (errors.TuquanError, 400),
)

TITLES = {
    400: "Yêu cầu không hợp lệ / Bad request",
    401: "Chưa đăng nhập / Not authenticated",
    403: "Không có quyền / Forbidden",
    404: "Không tìm thấy / Not found",
    405: "Phương thức không được phép / Method not allowed",
    413: "Tệp quá lớn / Payload too large",
    422: "Dữ liệu không hợp lệ / Invalid input",
    429: "Quá nhiều yêu cầu / Too many requests",
    500: "Lỗi máy chủ / Server error",
    502: "Nguồn dữ liệu không truy cập được / Upstream unavailable",
    503: "Cơ sở dữ liệu tạm thời không truy cập được / Database unavailable",
}


def problem(status: int, detail: str, hint: str | None = None, **extra) -> JSONResponse:
    """A problem+json response."""
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status}
    body["detail"] = detail
    if hint:
        body["hint"] = hint
    body.update(extra)
    headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def status_of(exc: errors.TuquanError) -> int:
    return next(code for cls, code in STATUS if isinstance(exc, cls))


async def _domain(request: Request, exc: errors.TuquanError) -> JSONResponse:
    response = problem(status_of(exc), exc.message, exc.hint)
    if isinstance(exc, auth.NotAuthenticated):
        response.headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, auth.TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    fields = [
        {"field": ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path")),
         "in": e["loc"][0] if e["loc"] else None, "message": e["msg"]}
        for e in exc.errors()
    ]  # fmt: skip
    names = ", ".join(f["field"] for f in fields) or "request"
    return problem(422, f"invalid {names}", "see 'errors' for each field", errors=fields)


async def _http(request: Request, exc: HTTPException) -> JSONResponse:
    return problem(exc.status_code, str(exc.detail))


async def _bad_value(request: Request, exc: sa.exc.DataError) -> JSONResponse:
    # A value the database cannot hold (a NUL character, a number out of range): the
    # request's fault, and the transaction was rolled back.
    log.info("value refused by the database: %s", exc.orig)
    return problem(
        422,
        "a value in the request cannot be stored or compared (out of range, or text with a "
        "NUL character)",
        "check the numbers and the text you sent",
    )


async def _database_down(request: Request, exc: sa.exc.OperationalError) -> JSONResponse:
    log.warning("database unavailable: %s", exc.orig)
    return problem(503, "the database is unavailable", "retry in a few seconds")


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(errors.TuquanError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(sa.exc.DataError, _bad_value)
    app.add_exception_handler(sa.exc.OperationalError, _database_down)
    app.add_exception_handler(sa.exc.InterfaceError, _database_down)
