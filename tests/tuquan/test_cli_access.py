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
