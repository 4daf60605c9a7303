"""`tuquan users|tokens|audit` end to end against a real database."""

from __future__ import annotations

from gis import auth


def test_users_tokens_and_audit(cli, blank_engine, blank_url, boundary_mirror):
    cli(blank_url, "boundaries", "fetch", "--source", str(boundary_mirror))
    env = {"TEST_PW": "một mật khẩu đủ dài"}
    code, out, err = cli(
        blank_url,
        "users",
        "add",
        "officer1",
        "--role",
        "officer",
        "--scope",
        "37",
        "--password-env",
        "TEST_PW",
        **env,
    )
    assert code == 0, err
    code, out, _ = cli(blank_url, "users", "list")
    assert "officer1" in out and "37" in out
    code, out, _ = cli(blank_url, "tokens", "create", "officer1", "--days", "2")
    token = out.strip().splitlines()[-1]
    assert token.startswith("tq_")
    assert auth.principal_for_token(blank_engine, token).username == "officer1"
    code, out, _ = cli(blank_url, "tokens", "revoke", token[:10])
    assert code == 0 and "revoked" in out
    code, out, _ = cli(blank_url, "audit", "--limit", "10")
    assert code == 0 and "app_user" in out and "api_token" in out and "revoke" in out


def test_user_errors(cli, blank_engine, blank_url):
    code, _, err = cli(
        blank_url,
        "users",
        "add",
        "x",
        "--role",
        "god",
        "--password-env",
        "PW",
        PW="long enough password",
    )
    assert code == 1 and "role" in err
    code, _, err = cli(blank_url, "users", "add", "x", "--password-env", "UNSET_VARIABLE_XYZ")
    assert code == 1 and "UNSET_VARIABLE_XYZ" in err
    code, _, err = cli(blank_url, "users", "disable", "ghost")
    assert code == 1 and "ghost" in err
    code, _, err = cli(blank_url, "tokens", "create", "ghost")
    assert code == 1 and "ghost" in err


def _audit_rows(engine, entity: str) -> list:
    import sqlalchemy as sa

    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT actor, action, entity_id, before, after FROM audit_log "
                "WHERE entity = :e ORDER BY id"
            ),
            {"e": entity},
        ).all()


def test_each_account_change_writes_one_audit_row_with_it(cli, blank_engine, blank_url):
    """users add/disable, tokens create/revoke: the change and exactly one audit row, who,
    what, before and after; a refused change leaves neither."""
    pw = {"TEST_PW": "một mật khẩu đủ dài"}
    assert cli(blank_url, "users", "add", "p1", "--password-env", "TEST_PW", **pw)[0] == 0
    (row,) = _audit_rows(blank_engine, "app_user")
    assert row.actor.startswith("cli:") and (row.action, row.entity_id) == ("create", "p1")
    assert row.before is None and row.after["role"] == "viewer" and row.after["scope"] == []
    assert cli(blank_url, "users", "add", "p1", "--password-env", "TEST_PW", **pw)[0] == 1
    assert len(_audit_rows(blank_engine, "app_user")) == 1  # refused: no row

    code, out, _ = cli(blank_url, "tokens", "create", "p1", "--name", "nightly", "--days", "3")
    assert code == 0
    secret = out.strip().splitlines()[-1]
    (row,) = _audit_rows(blank_engine, "api_token")
    assert row.action == "create" and row.before is None
    assert row.after["user"] == "p1" and row.after["name"] == "nightly"
    assert row.after["prefix"] == secret[:10] and secret not in str(row.after)
    token_id = row.entity_id

    assert cli(blank_url, "tokens", "revoke", secret[:10])[0] == 0
    revoke = _audit_rows(blank_engine, "api_token")[1:]
    assert [(r.action, r.entity_id) for r in revoke] == [("revoke", token_id)]
    assert revoke[0].before == {"revoked_at": None} and revoke[0].after["revoked_at"]
    assert cli(blank_url, "tokens", "revoke", secret[:10])[0] == 1  # nothing left to revoke
    assert len(_audit_rows(blank_engine, "api_token")) == 2

    assert cli(blank_url, "users", "disable", "p1")[0] == 0
    rows = _audit_rows(blank_engine, "app_user")
    assert len(rows) == 2 and rows[1].action == "disable" and rows[1].entity_id == "p1"
    assert (rows[1].before, rows[1].after) == ({"disabled": False}, {"disabled": True})


def test_an_audit_failure_rolls_the_change_back(blank_engine):
    """The audit row is written in the change's transaction: if it fails, nothing is kept."""
    import pytest
    import sqlalchemy as sa

    class Unprintable:  # an actor whose name the audit_log cannot take (NOT NULL actor)
        username = None
        token_id = None

    with pytest.raises(sa.exc.IntegrityError):
        auth.add_user(blank_engine, "ghost", "một mật khẩu đủ dài", "viewer", actor=Unprintable())
    assert "ghost" not in {u["username"] for u in auth.list_users(blank_engine)}


def test_tokens_list_shows_tokens_never_secrets(cli, blank_engine, blank_url):
    pw = {"TEST_PW": "một mật khẩu đủ dài"}
    for name in ("alice", "bob"):
        assert cli(blank_url, "users", "add", name, "--password-env", "TEST_PW", **pw)[0] == 0
    alice = cli(blank_url, "tokens", "create", "alice", "--name", "backup")[1].split()[-1]
    bob = cli(blank_url, "tokens", "create", "bob", "--name", "report")[1].split()[-1]
    code, out, _ = cli(blank_url, "tokens", "list")
    assert code == 0 and alice[:10] in out and bob[:10] in out and "backup" in out
    assert alice not in out and bob not in out and alice[10:20] not in out
    code, out, _ = cli(blank_url, "tokens", "list", "--user", "alice")
    assert code == 0 and alice[:10] in out and bob[:10] not in out and "active" in out
    (listed,) = auth.list_tokens(blank_engine, "alice")
    assert "token_hash" not in listed and listed["state"] == "active"
    assert cli(blank_url, "tokens", "revoke", str(listed["id"]))[0] == 0
    code, out, _ = cli(blank_url, "tokens", "list", "--user", "alice")
    assert "revoked" in out
    code, out, _ = cli(blank_url, "tokens", "list", "--user", "alice", "--active")
    assert alice[:10] not in out
    code, _, err = cli(blank_url, "tokens", "list", "--user", "ghost")
    assert code == 1 and "ghost" in err
