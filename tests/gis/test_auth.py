"""Accounts, tokens, scopes, brute-force protection and the append-only audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from gis import audit, auth
from gis.errors import InputError, NotFound

PASSWORD = "correct horse battery"


@pytest.fixture
def units(blank_engine, settings_for, blank_url):
    from gis.boundaries import fetch_boundaries

    fetch_boundaries(blank_engine, settings_for(blank_url), "37")
    return blank_engine


def test_roles_scopes_and_tokens(units):
    auth.add_user(units, "planner", PASSWORD, "viewer")
    auth.add_user(units, "officer", PASSWORD, "officer", scope=["13285"])
    auth.add_user(units, "chief", PASSWORD, "admin")
    secret, _ = auth.issue_token(units, "officer", name="script")
    who = auth.principal_for_token(units, secret)
    assert who.role == "officer" and who.may_see_points
    assert who.scope.allows("37", "13285") and not who.scope.allows("37", "13291")
    assert auth.principal_for_token(units, auth.issue_token(units, "planner")[0]).scope.unlimited
    with units.connect() as conn:
        stored = conn.scalar(sa.text("SELECT token_hash FROM api_token WHERE name = 'script'"))
    assert secret not in stored and stored == auth.hash_token(secret)
    users = {u["username"]: u for u in auth.list_users(units)}
    assert users["officer"]["scope"] == ["13285"] and "password_hash" not in users["officer"]


def test_revoked_expired_and_disabled_tokens_stop_working(units):
    auth.add_user(units, "o", PASSWORD, "officer", scope=["37"])
    revoked, _ = auth.issue_token(units, "o")
    auth.revoke_token(units, revoked[:10])
    with pytest.raises(auth.NotAuthenticated):
        auth.principal_for_token(units, revoked)
    short, _ = auth.issue_token(units, "o", ttl=timedelta(seconds=1))
    with units.begin() as conn:
        conn.execute(sa.text("UPDATE api_token SET expires_at = now() - interval '1 second'"))
    with pytest.raises(auth.NotAuthenticated):
        auth.principal_for_token(units, short)
    live, _ = auth.issue_token(units, "o")
    auth.set_disabled(units, "o")
    with pytest.raises(auth.NotAuthenticated):
        auth.principal_for_token(units, live)


def test_login_and_lockout(units):
    auth.add_user(units, "p", PASSWORD, "viewer")
    token, _ = auth.login(units, "p", PASSWORD)
    assert auth.principal_for_token(units, token).username == "p"
    for _ in range(auth.LOCKOUT_FAILURES):
        with pytest.raises(auth.NotAuthenticated):
            auth.login(units, "p", "wrong password")
    with pytest.raises(auth.TooManyAttempts):
        auth.login(units, "p", PASSWORD)  # even the right password, for a while
    with pytest.raises(auth.NotAuthenticated):
        auth.login(units, "nobody", PASSWORD)


def test_bad_account_input(units):
    with pytest.raises(InputError, match="role"):
        auth.add_user(units, "x", PASSWORD, "superuser")
    with pytest.raises(InputError, match="shorter"):
        auth.add_user(units, "x", "short", "viewer")
    with pytest.raises(InputError, match="scope"):
        auth.add_user(units, "x", PASSWORD, "officer")
    with pytest.raises(InputError, match="99999"):
        auth.add_user(units, "x", PASSWORD, "officer", scope=["99999"])
    auth.add_user(units, "x", PASSWORD, "viewer")
    with pytest.raises(InputError, match="exists"):
        auth.add_user(units, "x", PASSWORD, "viewer")
    with pytest.raises(NotFound):
        auth.set_disabled(units, "ghost")


def test_audit_log_is_append_only(units):
    with units.begin() as conn:
        audit.record(conn, "cli:test", "create", "site", 1, None, {"name": "Thôn 3"})
    assert audit.entries(units, entity="site")[0]["after"] == {"name": "Thôn 3"}
    for statement in (
        "UPDATE audit_log SET actor = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), units.begin() as conn:
            conn.execute(sa.text(statement))


def test_one_address_trying_many_names_is_throttled(units, monkeypatch):
    """Failures are counted per client address too, whatever names it tries; a success does
    not reset the address's count, and another address is not affected."""
    monkeypatch.setattr(auth, "LOCKOUT_CLIENT_FAILURES", 4)
    auth.add_user(units, "real", PASSWORD, "viewer")
    for i in range(3):
        with pytest.raises(auth.NotAuthenticated):
            auth.login(units, f"guess{i}", PASSWORD, client="198.51.100.7")
    auth.login(units, "real", PASSWORD, client="198.51.100.7")  # below the limit: works
    with pytest.raises(auth.NotAuthenticated):
        auth.login(units, "guess3", PASSWORD, client="198.51.100.7")
    with pytest.raises(auth.TooManyAttempts, match=r"198\.51\.100\.7") as refused:
        auth.login(units, "real", PASSWORD, client="198.51.100.7")  # even the right password
    assert refused.value.retry_after_s == int(auth.LOCKOUT_WINDOW.total_seconds())
    assert auth.login(units, "real", PASSWORD, client="203.0.113.9")[0].startswith("tq_")
    assert auth.login(units, "real", PASSWORD)[0]  # no address known: the name limit only
    with units.connect() as conn:  # a refused try is not even checked against the password
        tries = conn.scalar(
            sa.text("SELECT count(*) FROM login_attempt WHERE client = '198.51.100.7'")
        )
    assert tries == 5
