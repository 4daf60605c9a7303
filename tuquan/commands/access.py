"""`tuquan users`, `tuquan tokens`, `tuquan audit`: accounts, API tokens and the audit log."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from gis import audit, auth
from gis.errors import InputError
from tuquan import context

users_app = typer.Typer(help="Tài khoản / accounts (viewer, officer, admin).", no_args_is_help=True)
tokens_app = typer.Typer(help="Mã truy cập / API tokens for scripts.", no_args_is_help=True)


def cli_actor() -> str:
    """Who is acting from the command line, for the audit log."""
    return audit.os_actor()


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[str, typer.Option(help="viewer, officer or admin")] = "viewer",
    scope: Annotated[
        list[str] | None, typer.Option(help="province or commune code (repeatable; officers)")
    ] = None,
    display_name: Annotated[str | None, typer.Option(help="full name shown in pages")] = None,
    password_env: Annotated[
        str | None, typer.Option(help="read the password from this environment variable")
    ] = None,
) -> None:
    """Create an account (asks for the password unless --password-env names a variable)."""
    if password_env:
        password = os.environ.get(password_env) or ""
        if not password:
            raise InputError(
                f"${password_env} is empty or unset", "export it or omit --password-env"
            )
    else:
        password = typer.prompt("Mật khẩu / password", hide_input=True, confirmation_prompt=True)
    auth.add_user(context.engine(), username, password, role, scope, display_name,
                  actor=cli_actor())  # fmt: skip
    context.console.print(f"[green]created[/] {username} ({role})")


@users_app.command("list")
def users_list() -> None:
    """Show the accounts, their roles and scopes."""
    table = Table("user", "name", "role", "scope", "state")
    for u in auth.list_users(context.engine()):
        scope = ", ".join(u["scope"]) or "—"
        table.add_row(
            u["username"],
            u["display_name"] or "",
            u["role"],
            scope,
            "[red]disabled[/]" if u["disabled"] else "active",
        )
    context.console.print(table)


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument(help="login name")]) -> None:
    """Disable an account: its tokens stop working at once."""
    auth.set_disabled(context.engine(), username, True, actor=cli_actor())
    context.console.print(f"[yellow]disabled[/] {username}")


@tokens_app.command("create")
def tokens_create(
    username: Annotated[str, typer.Argument(help="the account the token acts for")],
    name: Annotated[str, typer.Option(help="what the token is for")] = "script",
    days: Annotated[int, typer.Option(min=1, max=366, help="days until it expires")] = 30,
) -> None:
    """Create an API token (shown once; only its hash is kept)."""
    secret, expires = auth.issue_token(
        context.engine(), username, "api", timedelta(days=days), name, actor=cli_actor()
    )
    context.console.print(f"token for {username}, expires {expires:%Y-%m-%d %H:%M} UTC:")
    context.console.print(secret, highlight=False, soft_wrap=True)


@tokens_app.command("list")
def tokens_list(
    user: Annotated[str | None, typer.Option(help="only this account's tokens")] = None,
    active: Annotated[bool, typer.Option("--active", help="only tokens still usable")] = False,
) -> None:
    """Show the tokens (id, prefix, owner, dates, state); never a secret."""
    table = Table("id", "prefix", "name", "kind", "user", "created", "expires", "last used",
                  "state")  # fmt: skip
    for t in auth.list_tokens(context.engine(), user, active):
        state = t["state"]
        if state == "revoked":
            state = f"[red]revoked[/] {t['revoked_at']:%Y-%m-%d %H:%M}"
        table.add_row(
            str(t["id"]), t["prefix"], t["name"] or "", t["kind"], t["user"],
            f"{t['created_at']:%Y-%m-%d %H:%M}", f"{t['expires_at']:%Y-%m-%d %H:%M}",
            f"{t['last_used_at']:%Y-%m-%d %H:%M}" if t["last_used_at"] else "—", state,
        )  # fmt: skip
    context.console.print(table)


@tokens_app.command("revoke")
def tokens_revoke(
    token: Annotated[str, typer.Argument(help="the token, its prefix, or its id (tokens list)")],
) -> None:
    """Revoke a token at once."""
    engine = context.engine()
    if token.isdigit():
        count = auth.revoke_token_id(engine, int(token), actor=cli_actor())
    else:
        count = auth.revoke_token(engine, token, actor=cli_actor())
    context.console.print(f"[yellow]revoked[/] {count} token(s)")


def audit_list(
    entity: Annotated[
        str | None, typer.Option(help="only this kind of record (site, incident…)")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="only this user")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """Show the audit log, newest first: who changed what, when, before and after."""
    rows = audit.entries(context.engine(), entity, actor, limit=limit)
    if as_json:
        for r in rows:
            context.console.print_json(json.dumps(r, default=str, ensure_ascii=False))
        return
    table = Table("#", "when (UTC)", "who", "token", "action", "record", "change")
    for r in rows:
        change = json.dumps(
            r["after"] if r["after"] is not None else r["before"], default=str, ensure_ascii=False
        )
        table.add_row(
            str(r["id"]),
            f"{r['at']:%Y-%m-%d %H:%M:%S}",
            r["actor"],
            str(r["token_id"] or ""),
            r["action"],
            f"{r['entity']} {r['entity_id'] or ''}",
            change[:80],
        )
    context.console.print(table)
