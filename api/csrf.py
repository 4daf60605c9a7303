"""CSRF tokens for the dashboard's forms (cookie-authenticated posts).

The session cookie is HttpOnly and SameSite=Strict; on top of that each form carries a
token. A logged-in form's token is an HMAC of the session secret, so it is bound to the
session, needs no storage and is the same in every worker; a page of another site can
neither read the cookie nor compute the token. The login form (no session yet) uses a
double-submit token: a random cookie of its own, repeated in the form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request, Response

from api.security import SESSION_COOKIE

LOGIN_COOKIE = "tuquan_login_csrf"
FIELD = "csrf_token"
_PURPOSE = b"tuquan dashboard forms v1"


def session_token(session_secret: str) -> str:
    """The form token of a session (derived from its secret, which it does not reveal)."""
    return hmac.new(session_secret.encode(), _PURPOSE, hashlib.sha256).hexdigest()


def form_token(request: Request) -> str | None:
    """The token the forms of this page carry; None when the caller has no session cookie."""
    secret = request.cookies.get(SESSION_COOKIE)
    return session_token(secret) if secret else None


def bearer_authenticated(request: Request) -> bool:
    """A bearer header authenticates this request (browsers never add one by themselves)."""
    return request.headers.get("authorization", "").lower().startswith("bearer ")


def check_form(request: Request, submitted: str | None) -> None:
    """Refuse a cookie-authenticated form post whose token is missing or wrong (403)."""
    if bearer_authenticated(request):
        return
    expected = form_token(request)
    if expected is None or not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPException(403, "the form's security token is missing or wrong: reload the page")


def login_token(request: Request) -> str:
    """The login form's token: the browser's login cookie, or a new one (see keep_login_token)."""
    token = request.cookies.get(LOGIN_COOKIE)
    if token and len(token) <= 100:
        return token
    return secrets.token_urlsafe(24)


def keep_login_token(request: Request, response: Response, token: str) -> None:
    """Set the login cookie to ``token`` when the browser does not have it yet."""
    if request.cookies.get(LOGIN_COOKIE) != token:
        response.set_cookie(
            LOGIN_COOKIE, token, httponly=True, samesite="strict",
            secure=request.url.scheme == "https", path="/",
        )  # fmt: skip


def check_login(request: Request, submitted: str | None) -> None:
    """Refuse a login post whose token does not match the login cookie (403)."""
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
        raise HTTPException(403, "the login form's security token is missing or wrong: reload")
