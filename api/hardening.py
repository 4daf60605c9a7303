"""Security headers on every response, and refusal of cross-site writes.

Every response gets a Content-Security-Policy (``default-src 'self'``), frame options
(``frame-ancestors 'self'`` and ``X-Frame-Options: SAMEORIGIN``: the dashboard frames its
own maps, nobody else may), ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy:
same-origin`` (query strings, which name provinces and dates, stay on this host).

Scripts: the dashboard runs only its own file (``script-src 'self'``, no inline code). A
folium map is a page of inline scripts (Leaflet and the plugins are inlined so that maps
work offline, and folium writes the map set-up inline); its route sends ``map_csp`` with
the sha256 of each inline script of that rendered map instead of ``'unsafe-inline'``, so
injected markup cannot run: no event-handler attributes (a hostile ``<img onerror>`` in a
tooltip), no ``javascript:`` URLs, no script added later. Inline *styles* are allowed on map
pages only (Leaflet and folium position everything with them; styles cannot run code).

FastAPI's /docs and /redoc load Swagger UI / ReDoc from jsDelivr with an inline starter; they
keep working online with their own, looser policy and hold no user data.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
CSP = "content-security-policy"


def policy(**directives: Iterable[str]) -> str:
    """A CSP header value from directive → sources (underscores become hyphens)."""
    return "; ".join(
        " ".join([name.replace("_", "-"), *sources]) for name, sources in directives.items()
    )


_COMMON = {
    "frame_ancestors": ["'self'"],
    "form_action": ["'self'"],
    "base_uri": ["'none'"],
    "object_src": ["'none'"],
}
PAGE_CSP = policy(
    default_src=["'self'"],
    script_src=["'self'"],
    style_src=["'self'"],
    img_src=["'self'", "data:"],
    font_src=["'self'"],
    connect_src=["'self'"],
    frame_src=["'self'"],
    **_COMMON,
)
DOCS_CSP = policy(
    default_src=["'self'"],
    script_src=["'self'", "'unsafe-inline'", "https://cdn.jsdelivr.net"],
    style_src=["'self'", "'unsafe-inline'", "https://cdn.jsdelivr.net",
               "https://fonts.googleapis.com"],
    img_src=["'self'", "data:", "https://fastapi.tiangolo.com", "https://cdn.redoc.ly"],
    font_src=["'self'", "https://fonts.gstatic.com"],
    worker_src=["'self'", "blob:"],
    **_COMMON,
)  # fmt: skip
HEADERS = {
    "x-frame-options": "SAMEORIGIN",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def map_csp(script_hashes: Iterable[str], tile_origin: str | None = None) -> str:
    """The policy of one rendered folium map: its own inline scripts only, by hash."""
    images = ["'self'", "data:", "blob:", *([tile_origin] if tile_origin else [])]
    return policy(
        default_src=["'self'"],
        script_src=["'self'", *script_hashes],
        style_src=["'self'", "'unsafe-inline'"],
        img_src=images,
        font_src=["'self'", "data:"],
        connect_src=["'self'"],
        **_COMMON,
    )


def _origin_of(value: str) -> str | None:
    parts = urlsplit(value)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def own_origin(scope: Scope, headers: Headers) -> str:
    """scheme://host[:port] this request was addressed to."""
    host = headers.get("host") or "{}:{}".format(*scope.get("server") or ("localhost", 80))
    return f"{scope.get('scheme', 'http')}://{host}".lower()


def cross_site(scope: Scope, headers: Headers) -> bool:
    """Whether a browser says the request comes from a page of another origin."""
    sent = headers.get("origin")
    if sent is None:
        referer = headers.get("referer")
        if referer is None:
            return False  # not a browser, or one that says nothing: the form token decides
        sent = _origin_of(referer) or "null"
    return sent.lower() != own_origin(scope, headers)


def secure(out: MutableHeaders, scope: Scope) -> None:
    """Add the security headers of a response to ``scope`` (those already set are kept)."""
    for name, value in HEADERS.items():
        out.setdefault(name, value)
    out.setdefault(CSP, DOCS_CSP if scope["path"] in DOCS_PATHS else PAGE_CSP)
    if scope.get("scheme") == "https":
        out.setdefault("strict-transport-security", "max-age=31536000")


class SecurityHeaders:
    """ASGI middleware: the headers above on every response; cross-site writes refused.

    A write (POST, PUT, PATCH, DELETE) that a browser marks as coming from another origin
    is refused with 403 unless it authenticates with a bearer header (which a page of
    another site cannot make a browser send). Same-site form posts still need their token
    (api.csrf).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                secure(MutableHeaders(scope=message), scope)
            await send(message)

        bearer = headers.get("authorization", "").lower().startswith("bearer ")
        if scope["method"] not in SAFE_METHODS and not bearer and cross_site(scope, headers):
            response = problem(
                403,
                "cross-site request refused: this form was not sent from a tuquan page",
                "open the dashboard on this server and submit the form from there",
            )
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)
