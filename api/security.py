"""The one place where every request gets an access decision.

Each endpoint declares its policy with ``@access("public" | "viewer" | "officer" |
"admin")``; the app-wide dependency ``decide`` authenticates the caller (bearer token or
session cookie) and applies the policy. An endpoint without a declared policy is refused
(fail closed), and a test walks every route of the app against the role matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.routing import iter_route_contexts

from gis import auth
from gis.auth import Principal

POLICIES = ("public", "viewer", "officer", "admin")
SESSION_COOKIE = "tuquan_session"
F = TypeVar("F", bound=Callable)


def access(policy: str) -> Callable[[F], F]:
    """Declare who may call an endpoint (put it under the route decorator)."""
    if policy not in POLICIES:
        raise ValueError(f"unknown access policy {policy!r}")

    def mark(endpoint: F) -> F:
        endpoint.__access__ = policy
        return endpoint

    return mark


def policy_of(endpoint: Callable) -> str | None:
    return getattr(endpoint, "__access__", None)


# FastAPI's own documentation routes: public, outside the dependency system.
DOCUMENTATION_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


def route_policies(app: FastAPI) -> list[tuple[str, frozenset[str], str | None]]:
    """Every route of ``app`` as (path, methods, declared policy) — for the audit test."""
    out = []
    for route in iter_route_contexts(app.routes):
        if route.path in DOCUMENTATION_PATHS:
            continue
        out.append((route.path, frozenset(route.methods or ()), policy_of(route.endpoint)))
    return out


def _credentials(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


def authenticate(request: Request) -> Principal | None:
    """The caller behind the request's token, None when there is none."""
    secret = _credentials(request)
    if secret is None:
        return None
    return auth.principal_for_token(request.app.state.engine, secret)


def decide(request: Request) -> None:
    """App-wide dependency: authenticate, then apply the endpoint's declared policy."""
    route = request.scope.get("route")
    policy = policy_of(route.endpoint) if route is not None else None
    if policy is None:  # fail closed: a route nobody decided on is not reachable
        raise HTTPException(500, f"no access policy declared for {request.url.path}")
    try:
        principal = authenticate(request)
    except auth.NotAuthenticated:
        if policy != "public":
            raise
        principal = None
    request.state.principal = principal
    request.state.may_see_points = principal is not None and principal.may_see_points
    if policy == "public":
        return
    if principal is None:
        raise auth.NotAuthenticated(
            "this needs an account", "log in (POST /auth/login) and send the token as Bearer"
        )
    if not principal.at_least(policy):
        raise HTTPException(403, f"this needs the {policy} role")


def current_principal(request: Request) -> Principal | None:
    return getattr(request.state, "principal", None)


PrincipalDep = Annotated[Principal | None, Depends(current_principal)]
