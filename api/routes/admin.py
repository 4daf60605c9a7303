"""Accounts and tokens over HTTP, for admins only: the same operations as `tuquan users` and
`tuquan tokens`, each write one transaction with its audit row naming the admin and token.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.deps import EngineDep
from api.models.problems import WRITE_ERRORS
from api.security import PrincipalDep, access
from gis import auth
from gis.errors import NotFound

router = APIRouter(prefix="/admin", tags=["Admin"], responses=WRITE_ERRORS)
UserName = Annotated[str, Path(min_length=1, max_length=200)]


class UserOut(BaseModel):
    """An account (never its password hash)."""

    username: str
    display_name: str | None
    role: str
    scope: list[str]
    disabled: bool
    created_at: datetime


class UserCreate(BaseModel):
    """A new account: officers need a scope (province or commune codes)."""

    username: str = Field(min_length=1, max_length=200, examples=["canbo.ninhbinh"])
    password: str = Field(max_length=1000, description=f"≥ {auth.MIN_PASSWORD_LENGTH} characters")
    role: Literal["viewer", "officer", "admin"] = "viewer"
    scope: list[Annotated[str, Field(pattern=r"^[0-9]{1,8}$")]] = Field(
        default_factory=list, max_length=1000, examples=[["37"]]
    )
    display_name: str | None = Field(default=None, max_length=200)


class TokenOut(BaseModel):
    """A token as listed: id, prefix, owner, dates and state (never the secret)."""

    id: int
    prefix: str
    name: str | None
    kind: str
    user: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    state: str


class TokenCreate(BaseModel):
    """A token for a script, acting for ``username``."""

    username: str = Field(min_length=1, max_length=200)
    name: str = Field(default="api", min_length=1, max_length=200)
    days: int = Field(default=30, ge=1, le=366)


class TokenIssued(BaseModel):
    """The new token: the secret is shown here once and kept nowhere."""

    id: int
    token: str
    prefix: str
    user: str
    expires_at: datetime


def _user(engine, username: str) -> UserOut:
    found = [u for u in auth.list_users(engine) if u["username"] == username]
    if not found:
        raise NotFound(f"no user {username!r}", "see GET /admin/users")
    return UserOut.model_validate(found[0])


@router.get("/users", summary="List the accounts")
@access("admin")
def list_users(engine: EngineDep) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in auth.list_users(engine)]


@router.post("/users", status_code=201, summary="Create an account")
@access("admin")
def create_user(body: UserCreate, engine: EngineDep, principal: PrincipalDep) -> UserOut:
    auth.add_user(engine, body.username, body.password, body.role, body.scope,
                  body.display_name, actor=principal)  # fmt: skip
    return _user(engine, body.username)


@router.post("/users/{name}/disable", summary="Disable an account (its tokens stop at once)")
@access("admin")
def disable_user(name: UserName, engine: EngineDep, principal: PrincipalDep) -> UserOut:
    auth.set_disabled(engine, name, True, actor=principal)
    return _user(engine, name)


@router.get("/tokens", summary="List the tokens (never a secret)")
@access("admin")
def list_tokens(
    engine: EngineDep,
    user: Annotated[str | None, Query(max_length=200)] = None,
    active: bool = False,
) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in auth.list_tokens(engine, user, active)]


@router.post("/tokens", status_code=201, summary="Create an API token (shown once)")
@access("admin")
def create_token(body: TokenCreate, engine: EngineDep, principal: PrincipalDep) -> TokenIssued:
    secret, expires = auth.issue_token(
        engine, body.username, "api", timedelta(days=body.days), body.name, actor=principal
    )
    issued = next(t for t in auth.list_tokens(engine, body.username) if t["prefix"] == secret[:10])
    return TokenIssued(
        id=issued["id"], token=secret, prefix=secret[:10], user=body.username, expires_at=expires
    )


@router.delete("/tokens/{token_id}", summary="Revoke a token")
@access("admin")
def revoke_token(
    token_id: Annotated[int, Path(ge=1)], engine: EngineDep, principal: PrincipalDep
) -> dict:
    auth.revoke_token_id(engine, token_id, actor=principal)
    return {"revoked": token_id}
