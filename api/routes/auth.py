"""Login and logout: short-lived session tokens, as bearer tokens or an HttpOnly cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from api.deps import EngineDep
from api.security import SESSION_COOKIE, PrincipalDep, access
from gis import auth

router = APIRouter(prefix="/auth", tags=["Access"])


@router.post("/login", summary="Log in with a password")
@access("public")
def login(
    request: Request,
    response: Response,
    engine: EngineDep,
    username: Annotated[str, Form(max_length=200, examples=["canbo.ninhbinh"])],
    password: Annotated[str, Form(max_length=1000)],
) -> dict:
    """A session token (also set as an HttpOnly cookie for the web pages)."""
    client = request.client.host if request.client else None
    token, expires = auth.login(engine, username, password, client)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="strict",
        secure=request.url.scheme == "https", expires=expires,
    )  # fmt: skip
    return {"access_token": token, "token_type": "bearer", "expires_at": expires.isoformat()}


@router.post("/logout", summary="Revoke the current token")
@access("viewer")
def logout(response: Response, engine: EngineDep, request: Request) -> dict:
    secret = request.cookies.get(SESSION_COOKIE) or request.headers["authorization"][7:].strip()
    auth.revoke_token(engine, secret)
    response.delete_cookie(SESSION_COOKIE)
    return {"logged_out": True}


@router.get("/me", summary="Who am I")
@access("viewer")
def me(principal: PrincipalDep) -> dict:
    scope = principal.scope
    return {
        "username": principal.username,
        "role": principal.role,
        "scope": None if scope.unlimited else sorted(scope.provinces | scope.communes),
    }
