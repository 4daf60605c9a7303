"""Request bodies larger than the upload limit are refused (413) before they are read.

FastAPI parses a multipart body before any dependency runs, so the limit is checked here,
on the raw stream: at once from Content-Length, else while the body arrives.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem

FORM_OVERHEAD_BYTES = 1 << 20  # multipart headers and the other form fields


def too_large(limit_bytes: int) -> str:
    return f"the request is larger than the upload limit ({limit_bytes / 1e6:g} MB)"


class BodyLimit:
    """ASGI middleware: 413 for bodies over the app's TUQUAN_MAX_UPLOAD_MB (plus form overhead)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = scope["app"].state.settings
        limit = int(settings.max_upload_mb * 1e6) + FORM_OVERHEAD_BYTES
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            hint = "split the file, or import it with `tuquan import` on the server"
            await problem(413, too_large(limit), hint)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:  # FastAPI passes an HTTPException from the body read on
                raise HTTPException(413, too_large(limit))
            return message

        await self.app(scope, counted, send)
