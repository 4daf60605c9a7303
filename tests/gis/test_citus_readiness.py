"""Every SQL statement the service runs against the incident table is fit for Citus with
``incident`` distributed by ``province_code`` (docs/scaling.md).

The statements are captured (``before_cursor_execute``, on every engine of the process)
while the import path, the CLI and the API do their work on a small database: imports and
re-imports, record writes, lists and statistics, analysis, feature items, tiles, uploads.
Rules a distributed plan needs, checked on each statement that names ``incident``:

1. an INSERT lists ``province_code`` (the distribution column of every row);
2. an ON CONFLICT target includes ``province_code`` (unique keys must hold it);
3. an UPDATE or DELETE filters on ``province_code`` (routed to one shard) — the known
   exceptions below are listed, with why each still works on Citus;
4. a join of ``incident`` with another distributed table equates their ``province_code``
   (sites are reference tables in the plan: none today).

SELECTs without a province are national aggregates: Citus runs them on every shard in
parallel (multi-shard), nothing to change; their number is reported, not refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from gis import auth
from gis.boundaries import fetch_boundaries
from gis.database import make_engine
from gis.ingest import ImportOptions, import_file
from gis.ingest.locate import Locator
from gis.settings import Settings
from tests.gis.analysis_fixtures import commune_points

INGEST = Path(__file__).resolve().parent.parent / "data" / "ingest"
DISTRIBUTED = ("incident",)
PASSWORD = "mật khẩu thử nghiệm đủ dài"

# Statements allowed to break rule 3, each found by a phrase of its text, with the reason.
MULTI_SHARD_WRITES = {
    "delete from incident i using incident_staging s where i.source = s.source": (
        "an import removes the copy of an incident whose corrected point moved it to another "
        "province: the old province is not known, so the delete visits every shard (rare rows)"
    ),
}

_NAMES = re.compile(r"\b(" + "|".join(DISTRIBUTED) + r")\b")


def _text(statement: str) -> str:
    return " ".join(statement.lower().split())


@contextmanager
def captured() -> Iterator[list[str]]:
    statements: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(_text(statement))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", keep)
    try:
        yield statements
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", keep)


@pytest.fixture(scope="module")
def citus_url(make_test_database, boundary_mirror, tmp_path_factory):
    url = make_test_database("citus")
    engine = make_engine(url)
    local = Settings(database_url=url.render_as_string(hide_password=False),
                     home=tmp_path_factory.mktemp("citus-home"))  # fmt: skip
    fetch_boundaries(engine, local, "37", source=str(boundary_mirror))
    auth.add_user(engine, "officer37", PASSWORD, "officer", scope=["37"])
    auth.add_user(engine, "chief", PASSWORD, "admin")
    engine.dispose()
    return url


def _exercise_imports(url) -> None:
    """The import path (what `tuquan import` and uploads run), with one locator for all."""
    engine = make_engine(url)
    locator = Locator(engine)
    for name, kind, options in (
        ("sites.csv", "sites", ImportOptions()),
        ("incidents_utf8.csv", "incidents", ImportOptions()),
        ("incidents_utf8.csv", "incidents", ImportOptions()),  # unchanged re-import
        ("bad_date.csv", "incidents", ImportOptions(skip_bad_rows=True)),
    ):
        assert import_file(engine, INGEST / name, kind, options, locator=locator).written
    engine.dispose()


def _exercise_cli(cli, url) -> None:
    runs = [
        ("sites", "list", "--province", "37"),
        ("incidents", "stats", "--province", "37"),
        ("incidents", "stats"),
        ("coverage", "--province", "37"),
        ("hotspots", "--province", "37"),
        ("candidates", "--province", "37", "--k", "2", "--radius-m", "3000"),
    ]
    for args in runs:
        code, _, err = cli(url, *args)
        assert code in (0, 1) and "Traceback" not in err, (args, err)


def _exercise_api(url, engine, tmp_path) -> None:
    settings = Settings(database_url=url.render_as_string(hide_password=False),
                        home=tmp_path / "app-home")  # fmt: skip
    officer = {"Authorization": f"Bearer {auth.issue_token(engine, 'officer37')[0]}"}
    point = commune_points(engine, ["14464"]).iloc[0]
    lon, lat = float(point.lon), float(point.lat)
    with TestClient(create_app(settings, engine=engine), headers=officer) as client:
        incident = client.post("/incidents", json={
            "occurred_at": "12/03/2024", "category": "Trộm cắp", "lon": lon, "lat": lat,
            "external_ref": "VV-CITUS"})  # fmt: skip
        assert incident.status_code == 201, incident.text
        site = client.post("/sites", json={
            "name": "Dòng họ tự quản", "kind": "dòng họ", "components": [1, 3],
            "status": "pilot", "started_on": "2024-03-01", "lon": lon, "lat": lat})  # fmt: skip
        assert site.status_code == 201, site.text
        site_id = site.json()["id"]
        for method, path, body in (
            ("patch", f"/sites/{site_id}", {"notes": "đủ 5 thành phần"}),
            ("post", f"/sites/{site_id}/status",
             {"status": "nhân rộng", "changed_on": "2025-01-15"}),
            ("delete", f"/sites/{site_id}", None),
        ):  # fmt: skip
            r = getattr(client, method)(path, **({"json": body} if body else {}))
            assert r.status_code < 300, r.text
        for path in (
            "/incidents/stats?province=37",
            "/collections/incidents/items?limit=5",
            f"/collections/incidents/items?bbox={lon - 0.1},{lat - 0.1},{lon + 0.1},{lat + 0.1}",
            "/collections/incidents/items?datetime=2024-01-01T00:00:00Z/..",
            "/collections/sites/items",
            "/collections/coverage/items",
            "/collections/hotspots/items",
            "/tiles/incidents/10/814/453.mvt",
            "/tiles/coverage/8/203/113.mvt",
            "/collections/incidents",
        ):
            assert client.get(path).status_code < 500, path
        with open(INGEST / "incidents_utf8_bom_semicolon.csv", "rb") as fh:
            upload = client.post("/imports/incidents", files={"file": ("up.csv", fh)},
                                 data={"source": "upload"})  # fmt: skip
        assert upload.status_code in (200, 201, 422), upload.text


def _violations(statement: str) -> list[str]:
    found = []
    inserts = re.search(r"insert into (\w+)(?: as \w+)? \(([^)]*)\)", statement)
    if inserts and inserts.group(1) in DISTRIBUTED and "province_code" not in inserts.group(2):
        found.append("INSERT without province_code")
    conflict = re.search(r"on conflict \(([^)]*)\)", statement)
    if (
        inserts
        and inserts.group(1) in DISTRIBUTED
        and conflict
        and ("province_code" not in conflict.group(1))
    ):
        found.append("ON CONFLICT target without province_code")
    writes = re.match(r"(?:with .*?\) )?(update|delete from) (\w+)\b", statement)
    if writes and writes.group(2) in DISTRIBUTED:
        where = statement.split(" where ", 1)[1] if " where " in statement else ""
        known = any(phrase in statement for phrase in MULTI_SHARD_WRITES)
        if "province_code" not in where and not known:
            found.append(f"{writes.group(1).upper()} without a province filter")
    return found


def test_statements_on_incidents_fit_a_distributed_plan(cli, citus_url, tmp_path):
    engine = make_engine(citus_url)
    with captured() as statements:
        _exercise_imports(citus_url)
        _exercise_cli(cli, citus_url)
        _exercise_api(citus_url, engine, tmp_path)
    engine.dispose()
    touching = sorted({s for s in statements if _NAMES.search(s)})
    assert len(touching) >= 15, "the paths were not exercised"
    writes = re.compile(r"(with .*?\) )?(update|delete from) incident\b")
    kinds = {
        "insert": [s for s in touching if "insert into incident" in s],
        "write": [s for s in touching if writes.match(s)],
    }
    assert kinds["insert"], "no insert into incident was seen"
    problems = {s[:300]: v for s in touching if (v := _violations(s))}
    assert not problems, problems
    used = {p for p in MULTI_SHARD_WRITES if any(p in s for s in touching)}
    assert used == set(MULTI_SHARD_WRITES), "an exception is listed that no statement needs"
    by_province = re.compile(r"province_code\)? (=|in\b|<>)")
    multi_shard_reads = [
        s for s in touching if s.startswith(("select", "with")) and not by_province.search(s)
    ]
    print(f"{len(touching)} distinct statements on incident, {len(kinds['insert'])} inserts, "
          f"{len(kinds['write'])} updates/deletes, {len(multi_shard_reads)} national reads "
          "(multi-shard)")  # fmt: skip
