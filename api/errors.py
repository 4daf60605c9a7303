"""The one map from domain exceptions to HTTP problem responses (RFC 9457)."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
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


def _where(request: Request) -> str:
    return "query" if request.method in ("GET", "HEAD") else "body"


def _field_errors(request: Request, exc: errors.TuquanError) -> dict:
    """``errors`` naming the inputs of an InputError that knows them (else nothing)."""
    names = exc.fields if isinstance(exc, errors.InputError) else ()
    where = _where(request)
    return (
        {"errors": [{"field": n, "in": where, "message": exc.message} for n in names]}
        if names
        else {}
    )


async def _domain(request: Request, exc: errors.TuquanError) -> JSONResponse:
    response = problem(status_of(exc), exc.message, exc.hint, **_field_errors(request, exc))
    if isinstance(exc, auth.NotAuthenticated):
        response.headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, auth.TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


def _invalid(status: int, exc: RequestValidationError) -> JSONResponse:
    fields = [
        {"field": ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path")),
         "in": e["loc"][0] if e["loc"] else None, "message": e["msg"]}
        for e in exc.errors()
    ]  # fmt: skip
    names = ", ".join(f["field"] for f in fields) or "request"
    return problem(status, f"invalid {names}", "see 'errors' for each field", errors=fields)


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    return _invalid(422, exc)


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


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # A bug, not the caller's fault: the traceback stays in the server's log, the answer
    # says nothing of the code. This handler runs outside the app's middleware (Starlette's
    # ServerErrorMiddleware), so it adds the security headers itself.
    from api.hardening import secure  # hardening imports this module

    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    response = problem(
        500,
        "an unexpected error occurred on the server; nothing was changed by this request",
        "try again later; if it happens again, tell the administrator the time of the request",
    )
    secure(response.headers, request.scope)
    return response


class OgcRoute(APIRoute):
    """A route of OGC API – Features: an invalid query parameter is 400, not 422.

    OGC API – Features Core (/req/core/query-param-invalid, /query-param-unknown) wants 400
    for a parameter value the server cannot use; the problem names it in ``errors``.
    """

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return _invalid(400, exc)
            except errors.InputError as exc:
                if status_of(exc) != 422:
                    raise
                return problem(400, exc.message, exc.hint, **_field_errors(request, exc))
            except sa.exc.DataError as exc:  # a filter value the database cannot compare
                log.info("query value refused by the database: %s", exc.orig)
                return problem(
                    400,
                    "a query parameter has a value that cannot be compared (a NUL character, "
                    "or a number out of range)",
                    "check the values of the query parameters",
                )

        return route_handler


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(errors.TuquanError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(sa.exc.DataError, _bad_value)
    app.add_exception_handler(sa.exc.OperationalError, _database_down)
    app.add_exception_handler(sa.exc.InterfaceError, _database_down)
    app.add_exception_handler(Exception, _unexpected)
