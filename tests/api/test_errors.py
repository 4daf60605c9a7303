"""An unexpected exception: a 500 problem, logged, with no internals and every security header."""

from __future__ import annotations

import logging

from fastapi.testclient import TestClient

from api.app import create_app
from api.hardening import CSP, HEADERS, PAGE_CSP
from api.security import access
from gis.settings import Settings

SECRET = "password=hunter2 in /srv/tuquan/gis/secret.py"


def test_unexpected_exception_is_a_problem_with_security_headers(
    api_url, api_engine, tmp_path, caplog
):
    settings = Settings(database_url=api_url.render_as_string(hide_password=False), home=tmp_path)
    app = create_app(settings, engine=api_engine)

    @access("public")
    def boom() -> dict:
        raise RuntimeError(SECRET)

    app.add_api_route("/boom-for-test", boom, methods=["GET"])
    with (
        TestClient(app, raise_server_exceptions=False) as client,
        caplog.at_level(logging.ERROR, logger="tuquan.api"),
    ):
        r = client.get("/boom-for-test")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 500 and body["detail"] and body["title"]
    assert "hunter2" not in r.text and "RuntimeError" not in r.text and "Traceback" not in r.text
    for name, value in HEADERS.items():
        assert r.headers[name] == value, name
    assert r.headers[CSP] == PAGE_CSP
    logged = [rec for rec in caplog.records if rec.name == "tuquan.api" and rec.exc_info]
    assert logged and SECRET in str(logged[0].exc_info[1])
    assert "/boom-for-test" in logged[0].getMessage()
