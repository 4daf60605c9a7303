"""Accounts, roles, scopes and tokens.

Roles: ``viewer`` (planners: aggregates, maps, coverage, candidates), ``officer`` (also
incident points and writes, within the provinces or communes assigned), ``admin``
(everything, boundaries and accounts). Passwords are argon2id hashes; tokens are random
secrets of which only the sha256 is stored, so a leaked table gives no usable token.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection, Engine

from gis import audit
from gis.errors import InputError, NotFound, TuquanError

ROLES = ("viewer", "officer", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}
TOKEN_PREFIX = "tq_"
SESSION_TTL = timedelta(hours=8)
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()


class NotAuthenticated(TuquanError):
    """No valid credentials: wrong password, unknown, expired or revoked token."""


class TooManyAttempts(TuquanError):
    """Login refused for a while after repeated failures (brute-force protection)."""

    def __init__(self, message: str, hint: str, retry_after_s: int) -> None:
        super().__init__(message, hint)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Scope:
    """Where a principal may see points and write: None means everywhere."""

    provinces: frozenset[str] | None = None
    communes: frozenset[str] = frozenset()

    @property
    def unlimited(self) -> bool:
        return self.provinces is None

    def allows(self, province_code: str | None, commune_code: str | None = None) -> bool:
        """Whether a record in this province/commune is inside the scope."""
        if self.provinces is None:
            return True
        return province_code in self.provinces or (
            commune_code is not None and commune_code in self.communes
        )


@dataclass(frozen=True)
class Principal:
    """Who is calling: user, role, scope and the token used (for the audit)."""

    username: str
    role: str
    scope: Scope = field(default_factory=Scope)
    user_id: int | None = None
    token_id: int | None = None

    def at_least(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]

    @property
    def may_see_points(self) -> bool:
        return self.at_least("officer")


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InputError(
            f"role {role!r} does not exist", f"use one of {', '.join(ROLES)}", field="role"
        )


def _parse_scope(conn: Connection, scope: list[str]) -> list[tuple[str, str | None]]:
    """'37' (a province) or '13285' (a commune) → (province, commune) pairs that exist."""
    pairs = []
    for code in scope:
        row = conn.execute(
            sa.text("SELECT level, parent_code FROM admin_unit WHERE code = :c"), {"c": code}
        ).first()
        if row is None:
            raise InputError(
                f"scope {code!r} is not a loaded unit code",
                "give province or commune codes",
                field="scope",
            )
        pairs.append((code, None) if row.level == "province" else (row.parent_code, code))
    return pairs


def add_user(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    scope: list[str] | None = None,
    display_name: str | None = None,
    *,
    actor: Principal | str | None = None,
) -> int:
    """Create an account; officers need a scope. With ``actor``, audited in the same commit."""
    _check_role(role)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"the password is shorter than {MIN_PASSWORD_LENGTH} characters",
            "choose a longer password (a passphrase of several words is good)",
            field="password",
        )
    if role == "officer" and not scope:
        raise InputError(
            "an officer needs a scope", "give --scope with province or commune codes", field="scope"
        )
    with engine.begin() as conn:
        if conn.scalar(sa.text("SELECT 1 FROM app_user WHERE username = :u"), {"u": username}):
            raise InputError(
                f"user {username!r} already exists", "choose another name", field="username"
            )
        user_id = conn.scalar(
            sa.text(
                "INSERT INTO app_user (username, display_name, password_hash, role) "
                "VALUES (:u, :d, :h, :r) RETURNING id"
            ),
            {"u": username, "d": display_name, "h": _hasher.hash(password), "r": role},
        )
        for province, commune in _parse_scope(conn, scope or []):
            conn.execute(
                sa.text("INSERT INTO user_scope VALUES (:id, :p, :c)"),
                {"id": user_id, "p": province, "c": commune},
            )
        if actor is not None:
            after = {"role": role, "scope": list(scope or []), "display_name": display_name,
                     "disabled": False}  # fmt: skip
            audit.record(conn, actor, "create", "app_user", username, None, after)
    return user_id


def list_users(engine: Engine) -> list[dict]:
    """Accounts with their role, scope and state (never the hash)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT u.username, u.display_name, u.role, u.disabled, u.created_at, "
                "array_remove(array_agg(coalesce(s.commune_code, s.province_code) "
                "ORDER BY s.province_code, s.commune_code), NULL) AS scope "
                "FROM app_user u LEFT JOIN user_scope s ON s.user_id = u.id "
                "GROUP BY u.id ORDER BY u.username"
            )
        ).mappings()
        return [dict(r) for r in rows]


def set_disabled(
    engine: Engine, username: str, disabled: bool = True, *, actor: Principal | str | None = None
) -> None:
    """Disable (or enable) an account; its tokens stop working at once. Audited with ``actor``."""
    with engine.begin() as conn:
        was = conn.scalar(
            sa.text("SELECT disabled FROM app_user WHERE username = :u FOR UPDATE"),
            {"u": username},
        )
        if was is None:
            raise NotFound(f"no user {username!r}", "see `tuquan users list`")
        conn.execute(
            sa.text("UPDATE app_user SET disabled = :d WHERE username = :u"),
            {"d": disabled, "u": username},
        )
        if actor is not None:
            action = "disable" if disabled else "enable"
            audit.record(
                conn, actor, action, "app_user", username, {"disabled": was}, {"disabled": disabled}
            )


def _scope_of(conn: Connection, user_id: int, role: str) -> Scope:
    if role == "admin":
        return Scope()
    rows = conn.execute(
        sa.text("SELECT province_code, commune_code FROM user_scope WHERE user_id = :id"),
        {"id": user_id},
    ).all()
    if role == "viewer" and not rows:
        return Scope()  # planners see aggregates everywhere unless restricted
    return Scope(
        provinces=frozenset(p for p, c in rows if c is None),
        communes=frozenset(c for _, c in rows if c is not None),
    )


def issue_token(
    engine: Engine, username: str, kind: str = "api", ttl: timedelta = SESSION_TTL,
    name: str | None = None, *, actor: Principal | str | None = None,
) -> tuple[str, datetime]:  # fmt: skip
    """A new token for ``username``: the secret (shown once) and its expiry; audited with actor."""
    if ttl <= timedelta(0):
        raise InputError("a token must expire in the future", "give a positive lifetime")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + ttl
    with engine.begin() as conn:
        user_id = conn.scalar(
            sa.text("SELECT id FROM app_user WHERE username = :u AND NOT disabled"), {"u": username}
        )
        if user_id is None:
            raise NotFound(f"no active user {username!r}", "see `tuquan users list`")
        token_id = conn.scalar(
            sa.text(
                "INSERT INTO api_token (user_id, kind, name, prefix, token_hash, expires_at) "
                "VALUES (:id, :k, :n, :p, :h, :e) RETURNING id"
            ),
            {"id": user_id, "k": kind, "n": name, "p": secret[:10], "h": hash_token(secret),
             "e": expires},
        )  # fmt: skip
        if actor is not None:
            after = {"user": username, "kind": kind, "name": name, "prefix": secret[:10],
                     "expires_at": expires}  # fmt: skip
            audit.record(conn, actor, "create", "api_token", token_id, None, after)
    return secret, expires


def revoke_token(
    engine: Engine, prefix_or_secret: str, *, actor: Principal | str | None = None
) -> int:
    """Revoke the token(s) whose secret or shown prefix matches; returns how many.

    With ``actor``, each revoked token gets its audit row in the same transaction.
    """
    return _revoke(engine, None, hash_token(prefix_or_secret), prefix_or_secret[:10], actor)


def revoke_token_id(engine: Engine, token_id: int, *, actor: Principal | str | None = None) -> int:
    """Revoke the token with this id (as `tuquan tokens list` shows it)."""
    return _revoke(engine, token_id, None, None, actor)


def _revoke(
    engine: Engine,
    token_id: int | None,
    token_hash: str | None,
    prefix: str | None,
    actor: Principal | str | None,
) -> int:
    with engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "UPDATE api_token t SET revoked_at = now() FROM app_user u WHERE u.id = t.user_id "
                "AND t.revoked_at IS NULL AND (t.id = :id OR t.token_hash = :h OR t.prefix = :p) "
                "RETURNING t.id, t.prefix, t.name, u.username, t.revoked_at"
            ),
            {"id": token_id, "h": token_hash, "p": prefix},
        ).all()
        if not rows:
            raise NotFound(
                "no active token matches",
                "give the token, its prefix or the id `tuquan tokens list` shows",
            )
        for row in rows if actor is not None else ():
            audit.record(
                conn, actor, "revoke", "api_token", row.id, {"revoked_at": None},
                {"revoked_at": row.revoked_at, "prefix": row.prefix, "user": row.username,
                 "name": row.name},
            )  # fmt: skip
    return len(rows)


def list_tokens(
    engine: Engine, username: str | None = None, active_only: bool = False
) -> list[dict]:
    """Tokens (newest first) with their owner, dates and state — never the secret or its hash."""
    with engine.connect() as conn:
        if username is not None and not conn.scalar(
            sa.text("SELECT 1 FROM app_user WHERE username = :u"), {"u": username}
        ):
            raise NotFound(f"no user {username!r}", "see `tuquan users list`")
        rows = conn.execute(
            sa.text(
                "SELECT t.id, t.prefix, t.name, t.kind, u.username AS user, t.created_at, "
                "t.expires_at, t.revoked_at, t.last_used_at, CASE WHEN t.revoked_at IS NOT NULL "
                "THEN 'revoked' WHEN t.expires_at <= now() THEN 'expired' ELSE 'active' END "
                "AS state FROM api_token t JOIN app_user u ON u.id = t.user_id "
                "WHERE (CAST(:u AS text) IS NULL OR u.username = :u) AND (NOT :active OR "
                "(t.revoked_at IS NULL AND t.expires_at > now())) ORDER BY t.id DESC"
            ),
            {"u": username, "active": active_only},
        ).mappings()
        return [dict(r) for r in rows]


def principal_for_token(engine: Engine, secret: str) -> Principal:
    """The principal behind a bearer token, or NotAuthenticated."""
    with engine.begin() as conn:
        row = conn.execute(
            sa.text(
                "UPDATE api_token t SET last_used_at = now() FROM app_user u "
                "WHERE t.token_hash = :h AND u.id = t.user_id AND t.revoked_at IS NULL "
                "AND t.expires_at > now() AND NOT u.disabled "
                "RETURNING t.id AS token_id, u.id AS user_id, u.username, u.role"
            ),
            {"h": hash_token(secret)},
        ).first()
        if row is None:
            raise NotAuthenticated(
                "the token is unknown, expired or revoked", "log in again or create a new token"
            )
        scope = _scope_of(conn, row.user_id, row.role)
    return Principal(row.username, row.role, scope, row.user_id, row.token_id)


def _verify(password_hash: str | None, password: str) -> bool:
    """Check a password; an unknown user costs the same time as a wrong password."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


LOCKOUT_FAILURES = 5
LOCKOUT_CLIENT_FAILURES = 20  # per address: an office behind one NAT still logs in
LOCKOUT_WINDOW = timedelta(minutes=15)


def _recent_failures(conn: Connection, username: str, client: str | None) -> tuple[int, int]:
    """Failed logins in the window: for this name (since its last success), from this address.

    The address count is not reset by a success: one valid account must not let an attacker
    go on trying a password across many other names.
    """
    row = conn.execute(
        sa.text(
            "SELECT count(*) FILTER (WHERE username = :u AND at > coalesce((SELECT max(at) "
            "FROM login_attempt WHERE username = :u AND succeeded), '-infinity')) AS by_name, "
            "count(*) FILTER (WHERE client = :c) AS by_client FROM login_attempt "
            "WHERE NOT succeeded AND at > now() - CAST(:w AS interval) "
            "AND (username = :u OR client = :c)"
        ),
        {"u": username, "c": client, "w": f"{int(LOCKOUT_WINDOW.total_seconds())} seconds"},
    ).one()
    return row.by_name, row.by_client


def login(
    engine: Engine, username: str, password: str, client: str | None = None
) -> tuple[str, datetime]:
    """Check a password and issue a session token.

    Repeated failures lock the name out, and many failures from one client address lock
    that address out (whatever names it tries), both for ``LOCKOUT_WINDOW``.
    """
    wait = f"wait {int(LOCKOUT_WINDOW.total_seconds() // 60)} minutes"
    with engine.begin() as conn:
        by_name, by_client = _recent_failures(conn, username, client)
        if by_name >= LOCKOUT_FAILURES:
            raise TooManyAttempts(
                f"too many failed logins for {username!r}",
                wait,
                int(LOCKOUT_WINDOW.total_seconds()),
            )
        if client is not None and by_client >= LOCKOUT_CLIENT_FAILURES:
            raise TooManyAttempts(
                f"too many failed logins from {client}",
                f"{wait}, or ask an administrator if several people share this address",
                int(LOCKOUT_WINDOW.total_seconds()),
            )
        row = conn.execute(
            sa.text("SELECT password_hash, disabled FROM app_user WHERE username = :u"),
            {"u": username},
        ).first()
        ok = _verify(row.password_hash if row else None, password) and not row.disabled
        conn.execute(
            sa.text("INSERT INTO login_attempt (username, client, succeeded) VALUES (:u, :c, :s)"),
            {"u": username, "c": client, "s": ok},
        )
    if not ok:
        raise NotAuthenticated("wrong user name or password", "check both and try again")
    return issue_token(engine, username, kind="session", ttl=SESSION_TTL, name="login")
