"""The append-only audit log: who changed what, when, with the record before and after."""

from __future__ import annotations

import getpass
import json
import os
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:  # gis.auth records its own account changes here: no import at run time
    from gis.auth import Principal


def os_actor() -> str:
    """Who is acting from a shell (the CLI, make demo), as the audit log names them."""
    return f"cli:{os.environ.get('SUDO_USER') or getpass.getuser()}"


def actor_name(actor: Principal | str) -> str:
    return actor if isinstance(actor, str) else actor.username


def record(
    conn: Connection,
    actor: Principal | str,
    action: str,
    entity: str,
    entity_id: object | None,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """Log one write, inside the caller's transaction (no write without its record)."""
    conn.execute(
        sa.text(
            "INSERT INTO audit_log (actor, token_id, action, entity, entity_id, before, after) "
            "VALUES (:actor, :token, :action, :entity, :id, CAST(:before AS jsonb), "
            "CAST(:after AS jsonb))"
        ),
        {
            "actor": actor_name(actor),
            "token": None if isinstance(actor, str) else actor.token_id,
            "action": action,
            "entity": entity,
            "id": None if entity_id is None else str(entity_id),
            "before": None
            if before is None
            else json.dumps(before, default=str, ensure_ascii=False),
            "after": None if after is None else json.dumps(after, default=str, ensure_ascii=False),
        },
    )


def entries(
    engine: Engine,
    entity: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[dict]:
    """The newest log entries, optionally for one entity type, actor or period."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT id, at, actor, token_id, action, entity, entity_id, before, after "
                "FROM audit_log WHERE (CAST(:e AS text) IS NULL OR entity = :e) "
                "AND (CAST(:a AS text) IS NULL OR actor = :a) "
                "AND (CAST(:s AS timestamptz) IS NULL OR at >= :s) ORDER BY id DESC LIMIT :n"
            ),
            {"e": entity, "a": actor, "s": since, "n": limit},
        ).mappings()
        return [dict(r) for r in rows]
