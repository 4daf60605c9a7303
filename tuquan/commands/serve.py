"""`tuquan serve`: the HTTP API and pages with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from tuquan import context


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes")] = 1,
) -> None:
    """Serve the API, the maps and the dashboard."""
    import uvicorn

    context.engine()  # fail here, with a clear message, if the database is not ready
    context.console.print(f"Bảng điều khiển / dashboard: http://{host}:{port}/")
    uvicorn.run(
        "api.app:create_app", factory=True, host=host, port=port, workers=workers,
        log_level="info", proxy_headers=True,
    )  # fmt: skip
