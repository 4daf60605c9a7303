"""The problem+json body (RFC 9457), documented once for every route's error responses."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from api.errors import PROBLEM


class FieldProblem(BaseModel):
    """One invalid field of a request."""

    field: str
    message: str


class Problem(BaseModel):
    """What went wrong, and what to do about it."""

    model_config = ConfigDict(extra="allow")
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    hint: str | None = None


def _doc(description: str, example: dict) -> dict:
    return {
        "model": Problem,
        "description": description,
        "content": {PROBLEM: {"example": {"type": "about:blank", **example}}},
    }


NOT_FOUND = _doc(
    "missing, or outside your scope (the same answer)",
    {"title": "Không tìm thấy / Not found", "status": 404, "detail": "no site with id 7"},
)
INVALID = _doc(
    "invalid input, naming the field",
    {
        "title": "Dữ liệu không hợp lệ / Invalid input",
        "status": 422,
        "detail": "invalid lat",
        "errors": [{"field": "lat", "in": "body", "message": "Input should be ≤ 90"}],
    },
)
TOO_LARGE = _doc(
    "the upload is larger than TUQUAN_MAX_UPLOAD_MB",
    {"title": "Tệp quá lớn / Payload too large", "status": 413, "detail": "the file is over 50 MB"},
)
WRITE_ERRORS = {404: NOT_FOUND, 422: INVALID}


def _problem(description: str, example: dict) -> dict:
    """A response documented as problem+json itself (schema and example under that type)."""
    return {
        "description": description,
        "content": {
            PROBLEM: {
                "schema": Problem.model_json_schema(),
                "example": {"type": "about:blank", **example},
            }
        },
    }


BAD_PARAMETER = _problem(
    "an invalid or unknown query parameter, named in 'errors' (OGC API – Features: 400)",
    {
        "title": "Yêu cầu không hợp lệ / Bad request",
        "status": 400,
        "detail": "invalid limit",
        "errors": [{"field": "limit", "in": "query", "message": "Input should be ≥ 1"}],
    },
)
NOT_AUTHENTICATED = _problem(
    "no token or session, or an expired one (WWW-Authenticate: Bearer)",
    {"title": "Chưa đăng nhập / Not authenticated", "status": 401, "detail": "log in first"},
)
MISSING = _problem(
    "no such collection or feature, or outside your scope (the same answer)",
    {"title": "Không tìm thấy / Not found", "status": 404, "detail": "no collection 'nope'"},
)
BAD_VALUE = _problem(
    "invalid input, naming the field",
    {
        "title": "Dữ liệu không hợp lệ / Invalid input",
        "status": 422,
        "detail": "invalid z",
        "errors": [{"field": "z", "in": "path", "message": "Input should be a valid integer"}],
    },
)
OTHER_ERROR = _problem(
    "the database is unavailable (503, with Retry-After) or an unexpected server error (500)",
    {"title": "Lỗi máy chủ / Server error", "status": 500, "detail": "an unexpected error"},
)
# OGC routes answer 400 for parameters (never 422); tiles keep 422 for a bad tile address
OGC_ERRORS = {400: BAD_PARAMETER, 401: NOT_AUTHENTICATED, 404: MISSING, "default": OTHER_ERROR}
TILE_ERRORS = {401: NOT_AUTHENTICATED, 404: MISSING, 422: BAD_VALUE, "default": OTHER_ERROR}
