"""The CLI end to end against a real database: readable output, clear errors, exit codes."""

from __future__ import annotations

import json

from tests.helpers import count


def test_fetch_and_list(cli, blank_engine, blank_url, boundary_mirror):
    code, out, err = cli(
        blank_url, "boundaries", "fetch", "--province", "37", "--source", str(boundary_mirror)
    )
    assert code == 0, err
    assert "provinces: 1, communes: 129" in out
    assert "Ninh Bình" in out and "MIT" in out and "sapnhap.bando.com.vn" in out
    assert "105.5" in out  # bbox
    code, out, _ = cli(blank_url, "boundaries", "list")
    assert code == 0 and "129" in out


def test_source_setting_points_the_download_at_a_mirror(cli, blank_engine, blank_url, http_mirror):
    code, _out, err = cli(
        blank_url, "boundaries", "fetch", "--province", "37", TUQUAN_BOUNDARY_SOURCE=http_mirror
    )
    assert code == 0, err
    assert count(blank_engine, "SELECT count(*) FROM admin_unit") == 130


def test_user_errors_are_one_message_without_traceback(cli, blank_engine, blank_url, tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": []})[:-5])
    cases = [
        ("boundaries", "fetch", "--province", "99"),
        ("boundaries", "fetch", "--source", str(tmp_path / "nowhere")),
        ("boundaries", "load", str(bad), "--level", "commune"),
        ("boundaries", "load", str(tmp_path / "missing.geojson"), "--level", "commune"),
        ("boundaries", "load", str(bad), "--level", "district"),
    ]
    for args in cases:
        code, out, err = cli(blank_url, *args)
        assert code == 1, args
        assert "Traceback" not in out + err
        assert "error" in err and "→" in err, (args, err)


def test_a_bad_setting_is_named_without_traceback(cli, blank_url):
    for env, args in (
        ({"TUQUAN_GEOCODE_WORKERS": "-1"}, ("geocode", "xã Ninh Hải, Ninh Bình")),
        ({"TUQUAN_MIN_COUNT": "abc"}, ("db", "status")),
    ):
        code, out, err = cli(blank_url, *args, **env)
        assert code == 1, (env, err)
        assert "Traceback" not in out + err
        assert next(iter(env)) in err and "→" in err, err


def test_usage_errors_exit_2(cli, blank_url):
    code, _, err = cli(blank_url, "boundaries", "fetch", "--bogus")
    assert code == 2 and "--bogus" in err


def test_help_everywhere(cli, blank_url):
    for args in (
        ["--help"],
        ["db", "--help"],
        ["boundaries", "--help"],
        ["boundaries", "fetch", "--help"],
        ["boundaries", "load", "--help"],
        ["db", "upgrade", "--help"],
    ):
        code, out, _ = cli(blank_url, *args)
        assert code == 0 and "Usage" in out, args


def test_db_start_refuses_with_external_url(cli, blank_url):
    code, _out, err = cli(blank_url, "db", "start")
    assert code == 2 and "TUQUAN_DATABASE_URL" in err


def test_db_status_and_upgrade(cli, blank_url):
    code, out, _ = cli(blank_url, "db", "upgrade")
    assert code == 0 and "schema at" in out
    code, out, _ = cli(blank_url, "db", "status")
    assert code == 0 and "up to date" in out
