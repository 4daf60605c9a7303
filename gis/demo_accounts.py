"""One demo account per role, with passwords generated on each run and stored nowhere.

``make demo`` runs this before starting the server and prints the passwords once. Running
it again keeps the accounts (no duplicates) and gives them new passwords, so a password
printed by an earlier run stops working: nothing that grants access outlives the terminal
it was printed in. Only the argon2id hash is kept, like any account's.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine

from gis import audit
from gis.errors import InputError

DEMO_ROLES = (("demo.viewer", "viewer"), ("demo.officer", "officer"), ("demo.admin", "admin"))
DISPLAY_NAME = "Tài khoản thử nghiệm / demo account"


@dataclass(frozen=True)
class DemoAccount:
    """A demo account and the password it has now (shown once)."""

    username: str
    role: str
    password: str
    created: bool  # False: it existed and got a new password


def new_password() -> str:
    """A random password of 16 URL-safe characters (~96 bits)."""
    return secrets.token_urlsafe(12)


def ensure_demo_accounts(engine: Engine, province: str, actor: str) -> list[DemoAccount]:
    """Create or refresh the three demo accounts (the officer's scope: ``province``).

    One transaction, each change in the audit log under ``actor``; existing demo accounts
    are re-enabled, get their demo role back and a new password; their old tokens are
    revoked.
    """
    hasher = PasswordHasher()
    accounts = []
    with engine.begin() as conn:
        known = conn.scalar(
            sa.text("SELECT 1 FROM admin_unit WHERE code = :p AND level = 'province'"),
            {"p": province},
        )
        if not known:
            raise InputError(
                f"province {province!r} is not loaded: the demo officer needs it as scope",
                f"load it first: `tuquan boundaries fetch --province {province}`",
            )
        for username, role in DEMO_ROLES:
            password = new_password()
            user_id, created = conn.execute(
                sa.text(
                    "INSERT INTO app_user (username, display_name, password_hash, role) "
                    "VALUES (:u, :d, :h, :r) ON CONFLICT (username) DO UPDATE SET "
                    "password_hash = EXCLUDED.password_hash, role = EXCLUDED.role, "
                    "disabled = false RETURNING id, (xmax = 0) AS created"
                ),
                {"u": username, "d": DISPLAY_NAME, "h": hasher.hash(password), "r": role},
            ).one()
            if role == "officer":
                conn.execute(
                    sa.text(
                        "INSERT INTO user_scope (user_id, province_code, commune_code) "
                        "SELECT :id, :p, NULL WHERE NOT EXISTS (SELECT 1 FROM user_scope "
                        "WHERE user_id = :id AND province_code = :p AND commune_code IS NULL)"
                    ),
                    {"id": user_id, "p": province},
                )
            if not created:
                conn.execute(
                    sa.text(
                        "UPDATE api_token SET revoked_at = now() "
                        "WHERE user_id = :id AND revoked_at IS NULL"
                    ),
                    {"id": user_id},
                )
            audit.record(
                conn, actor, "create" if created else "reset_password", "app_user", username,
                None, {"role": role, "scope": [province] if role == "officer" else []},
            )  # fmt: skip
            accounts.append(DemoAccount(username, role, password, bool(created)))
    return accounts
