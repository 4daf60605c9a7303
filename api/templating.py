"""Rendering of the server-side pages: one Jinja2 environment (autoescape on), static files.

Every value a user or a data file provides reaches the HTML through Jinja2's autoescaping;
no template marks anything ``|safe``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from importlib.resources import files

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from api.page_text import LANG_COOKIE, translator, vocabulary

# The files under api/static/ that are served, with their media types (a fixed list: a
# request names one of these, never a path).
STATIC_FILES = {
    "dashboard.css": "text/css; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
LANG_COOKIE_MAX_AGE_S = 365 * 24 * 3600
_VI_DIGITS = str.maketrans({",": ".", ".": ","})


@functools.cache
def environment() -> jinja2.Environment:
    """The templates of api/templates, HTML-escaping every value."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("api", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def static_file(name: str) -> tuple[bytes, str]:
    """The bytes of a packaged static file and their short digest (for ETag and URLs)."""
    if name not in STATIC_FILES:
        raise KeyError(name)
    data = (files("api") / "static" / name).read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:16]


def static_url(name: str) -> str:
    """/static/NAME?v=DIGEST: a new URL whenever the file changes (cached for long)."""
    return f"/static/{name}?v={static_file(name)[1]}"


def number(value: object, digits: int = 0, lang: str = "vi") -> str:
    """A number for people: thousands grouped, Vietnamese 1.234,5 or English 1,234.5."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    text = f"{float(value):,.{digits}f}"
    return text.translate(_VI_DIGITS) if lang == "vi" else text


def percent(share: object, digits: int = 0, lang: str = "vi") -> str:
    """A share 0–1 as a percentage."""
    if share is None or (isinstance(share, float) and share != share):
        return "—"
    return number(float(share) * 100, digits, lang) + " %"


def day(value: object) -> str:
    """dd/mm/yyyy of a date, datetime or ISO text ('—' when missing)."""
    if value in (None, ""):
        return "—"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value:%d/%m/%Y}"


def render(
    request: Request, template: str, lang: str, status_code: int = 200, **context
) -> HTMLResponse:
    """A page in ``lang``; the language choice is remembered in a cookie."""
    html = environment().get_template(template).render(
        t=translator(lang), v=vocabulary(lang), lang=lang, static=static_url,
        n=functools.partial(number, lang=lang), pct=functools.partial(percent, lang=lang),
        day=day, **context,
    )  # fmt: skip
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"  # personal, and carries a form token
    response.headers["Vary"] = "Cookie, Accept"
    if request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=LANG_COOKIE_MAX_AGE_S, samesite="lax", httponly=True,
            secure=request.url.scheme == "https",
        )  # fmt: skip
    return response
