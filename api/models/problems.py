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
