"""`tuquan demo accounts`: one account per role, idempotent, passwords new on every run."""

from __future__ import annotations

import re

import pytest

from gis import audit, auth
from tests.api.pages_fixtures import *  # noqa: F403 — a writable database with Ninh Bình
from tests.helpers import count, snapshot

ROW = re.compile(r"(demo\.(?:viewer|officer|admin))\s*│\s*(viewer|officer|admin)\s*│\s*(\S+)")


def _accounts(out: str) -> dict[str, tuple[str, str]]:
    return {user: (role, password) for user, role, password in ROW.findall(out)}


def test_demo_accounts_created_then_refreshed(cli, pages_setup):
    engine = pages_setup.engine
    code, out, err = cli(pages_setup.url, "demo", "accounts", "--province", "37")
    assert code == 0, err
    first = _accounts(out)
    assert {u: r for u, (r, _) in first.items()} == {
        "demo.viewer": "viewer", "demo.officer": "officer", "demo.admin": "admin",
    }  # fmt: skip
    assert "DEMO ONLY" in out and "http://127.0.0.1:8000/" in out
    for user, (_, password) in first.items():
        auth.login(engine, user, password)  # each printed password works
    session, _ = auth.login(engine, "demo.officer", first["demo.officer"][1])
    assert auth.principal_for_token(engine, session).scope.provinces == frozenset({"37"})

    code, out, err = cli(pages_setup.url, "demo", "accounts", "--province", "37")
    assert code == 0, err
    second = _accounts(out)
    assert count(engine, "SELECT count(*) FROM app_user WHERE username LIKE 'demo.%'") == 3
    for user, (_, password) in second.items():
        assert password != first[user][1]
        auth.login(engine, user, password)
        with pytest.raises(auth.NotAuthenticated):
            auth.login(engine, user, first[user][1])  # the earlier password is gone
    with pytest.raises(auth.NotAuthenticated):
        auth.principal_for_token(engine, session)  # sessions of the old password are revoked
    actions = [e["action"] for e in audit.entries(engine, "app_user") if e["entity_id"]
               and e["entity_id"].startswith("demo.")]  # fmt: skip
    assert sorted(actions) == ["create"] * 3 + ["reset_password"] * 3
    assert count(engine, "SELECT count(*) FROM user_scope s JOIN app_user u ON u.id = s.user_id "
                         "WHERE u.username = 'demo.officer'") == 1  # fmt: skip


def test_demo_accounts_need_a_loaded_province(cli, pages_setup):
    before = snapshot(pages_setup.engine, "app_user", "user_scope", "audit_log")
    code, _, err = cli(pages_setup.url, "demo", "accounts", "--province", "99")
    assert code == 1 and "province '99' is not loaded" in err
    assert "tuquan boundaries fetch --province 99" in err and "Traceback" not in err
    assert snapshot(pages_setup.engine, "app_user", "user_scope", "audit_log") == before
