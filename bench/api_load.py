"""The API under load: 50 concurrent clients on coverage, items and tiles, 60 s per run.

A demo-sized database ``tuquan_bench_api`` (Ninh Bình's 129 communes, the demo's sites and
~20,000 incidents, imported through the CLI as `make demo` does; made on first use, then
kept) behind the project app in one uvicorn worker. `wrk` on loopback keeps 50 connections
busy with a planner's (viewer's) token on a mix of three kinds of request, then on each kind
alone: throughput, p50/p99 latency and errors (socket errors, timeouts, statuses ≥ 400).
There is no peer here: the figures size a deployment (docs/scaling.md).

    .venv/bin/python -m bench api_load        (or `make bench` for every benchmark)
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

from bench._load import UVICORN_FLAGS, LoadRun, free_port, server, viewer_token, wrk
from bench._report import REPEATS, Section, stats
from bench.tiles import _tiles_over
from gis import migrations
from gis.database import create_database, make_engine, server_url
from gis.settings import PROJECT_ROOT, Settings

DATABASE = "tuquan_bench_api"
CLIENTS = int(os.environ.get("BENCH_API_CLIENTS", 50))
SECONDS = int(os.environ.get("BENCH_API_SECONDS", 60))
EACH_SECONDS = int(os.environ.get("BENCH_API_EACH_SECONDS", 15))
SHARED = Path(os.environ.get("TUQUAN_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))
USER = "bench-planner"
SEED = 11


def _tuquan(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "-c", "from tuquan.cli import main; main()", *args],
                   env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL)  # fmt: skip


def demo_database():
    """The demo-sized bench database (built once through the CLI, like `make demo`)."""
    url = server_url(Settings(), DATABASE)
    create_database(url)
    engine = make_engine(url)
    migrations.upgrade(engine)
    with engine.connect() as conn:
        incidents = conn.scalar(sa.text("SELECT count(*) FROM incident"))
    if incidents == 0:
        print(f"building {DATABASE}: Ninh Bình and the demo records (once, ~1 minute)")
        with tempfile.TemporaryDirectory() as tmp:
            env = {"TUQUAN_DATABASE_URL": url.render_as_string(hide_password=False),
                   "TUQUAN_HOME": str(Path(tmp) / "home")}  # fmt: skip
            mirror = str(SHARED / "vietnamese-provinces-database")
            _tuquan(env, "boundaries", "fetch", "--province", "37", "--source", mirror)
            _tuquan(env, "demo-data", "--province", "37", "--out", tmp)
            for kind, name in (("sites", "demo_sites.xlsx"),
                               ("incidents", "demo_incidents_2020_2022.csv"),
                               ("incidents", "demo_incidents_2023_2025.xlsx")):  # fmt: skip
                source = ["--source", "demo"] if kind == "incidents" else []
                _tuquan(env, "import", kind, str(Path(tmp) / name), *source, "--skip-bad-rows")
    return url, engine


def request_mix(engine) -> dict[str, list[str]]:
    """The three kinds of request, each a list of paths (shuffled with a fixed seed)."""
    with engine.connect() as conn:
        box = conn.execute(
            sa.text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
                "ST_Extent(geom) AS e FROM admin_unit WHERE level = 'commune') s"
            )
        ).one()
        sites = conn.scalar(sa.text("SELECT count(*) FROM site"))
    west, south, east, north = box
    rng = random.Random(SEED)
    coverage = [f"/collections/coverage/items?limit=25&offset={o}" for o in range(0, 125, 25)]
    items = [f"/collections/sites/items?limit=50&offset={o}" for o in range(0, sites, 50)]
    for _ in range(20):  # small windows, as a map client asks
        x, y = rng.uniform(west, east - 0.05), rng.uniform(south, north - 0.05)
        items.append(f"/collections/sites/items?bbox={x:.4f},{y:.4f},{x + 0.05:.4f},"
                     f"{y + 0.05:.4f}&limit=100")  # fmt: skip
    over = _tiles_over(tuple(box), range(8, 14))
    tiles = [f"/tiles/coverage/{z}/{x}/{y}.mvt" for z, x, y in over]
    mix = {"coverage items": coverage, "site items": items, "coverage tiles": tiles}
    for paths in mix.values():
        rng.shuffle(paths)
    return mix


def _interleave(mix: dict[str, list[str]]) -> list[str]:
    """One of each kind in turn, so that each kind has a third of the requests."""
    longest = max(len(p) for p in mix.values())
    return [paths[i % len(paths)] for i in range(longest) for paths in mix.values()]


def _row(name: str, done: list[LoadRun]) -> tuple:
    return (
        name, stats(r.rate for r in done).show("req/s", 1),
        stats(r.p50_ms for r in done).show("ms", 0), stats(r.p99_ms for r in done).show("ms", 0),
        f"{stats(r.mean_kb for r in done).median:.1f}", sum(r.errors for r in done),
        sum(r.requests for r in done),
    )  # fmt: skip


def main() -> None:
    section = Section("api_load", "API under load")
    url, engine = demo_database()
    token = viewer_token(engine, USER)
    mix = request_mix(engine)
    with engine.connect() as conn:
        counts = conn.execute(sa.text("SELECT (SELECT count(*) FROM site), "
                                      "(SELECT count(*) FROM incident)")).one()  # fmt: skip
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--port",
               str(port), *UVICORN_FLAGS]  # fmt: skip
    env = {"TUQUAN_DATABASE_URL": url.render_as_string(hide_password=False)}
    section.line(
        f"Ninh Bình: 129 communes, {counts[0]:,} sites, {counts[1]:,} incidents; a viewer's "
        f"token; {CLIENTS} connections; the mix for {SECONDS} s per run, then each kind alone "
        f"for {EACH_SECONDS} s per run; {REPEATS} runs; one uvicorn worker; wrk on loopback. "
        f"Paths: {', '.join(f'{k} {len(v)}' for k, v in mix.items())}"
    )
    section.line()
    log = PROJECT_ROOT / ".tuquan" / "bench" / "api-load.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with server(command, env, port, "/conformance", log) as base:
        wrk(base, _interleave(mix), token, CLIENTS, 10)  # warm-up: stored results, caches
        mixed = [wrk(base, _interleave(mix), token, CLIENTS, SECONDS) for _ in range(REPEATS)]
        alone = {name: [wrk(base, paths, token, CLIENTS, EACH_SECONDS) for _ in range(REPEATS)]
                 for name, paths in mix.items()}  # fmt: skip
    section.table(
        ("requests", "throughput", "p50", "p99", "mean kB", "errors", "requests done"),
        [_row("mix (⅓ each)", mixed), *(_row(name, done) for name, done in alone.items())],
    )
    section.line()
    errors = sum(r.errors for r in mixed) + sum(r.errors for d in alone.values() for r in d)
    section.line(f"- errors over every run: {errors}")
    section.save()
    engine.dispose()


if __name__ == "__main__":
    main()
