"""Vector tiles: tuquan's API vs `tipg` (the peer) serving the same communes, same database.

Both serve the 3,321 national communes of ``admin_unit`` from the bench database
``tuquan_bench_analysis`` (bench/_analysis_data.py): tuquan as ``/tiles/communes/…`` (with
a viewer's token: authentication and scope are part of its cost), tipg (PyPI; its own
virtualenv in ``.tuquan/bench/tipg-venv``, never the project's) as the table
``public.admin_unit`` filtered on ``level=commune`` with the same properties. Each runs in
one uvicorn worker; `wrk` on loopback keeps the same number of connections busy on the same
tile list (nationwide z5–z8 and Ninh Bình z10–z12, tiles with communes only). tipg is run
twice: as installed (no simplification) and with ``simplify`` set to tuquan's tolerance
(half a tile pixel), the closest like-for-like. Runs alternate between the servers.

    .venv/bin/python -m bench tiles        (or `make bench` for every benchmark)
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench._analysis_data import DATABASE, bench_engine
from bench._load import UVICORN_FLAGS, LoadRun, free_port, server, viewer_token, wrk
from bench._report import REPEATS, Section, stats
from gis.database import server_url
from gis.settings import PROJECT_ROOT, Settings
from gis.tiles import pixel_size_m

CONNECTIONS = int(os.environ.get("BENCH_TILES_CONNECTIONS", 16))
SECONDS = int(os.environ.get("BENCH_TILES_SECONDS", 20))
TIPG_VENV = PROJECT_ROOT / ".tuquan" / "bench" / "tipg-venv"
TIPG_REQUIREMENT = "tipg>=1.6"
PROPERTIES = "code,parent_code,name,full_name,name_en,unit_type,area_km2"
VIETNAM = (102.1, 8.2, 109.5, 23.4)
WEB_MERCATOR_M_PER_DEG = 111_319.49  # Web Mercator x metres per degree
USER = "bench-viewer"
SEED = 9


def tipg_python() -> Path:
    """tipg's own virtualenv (created on first use): it pins its own FastAPI and pydantic."""
    uvicorn = TIPG_VENV / "bin" / "uvicorn"
    if not uvicorn.exists():
        print(f"installing {TIPG_REQUIREMENT} into {TIPG_VENV} (once)")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(TIPG_VENV)], check=True)
        pip = [str(TIPG_VENV / "bin" / "pip"), "install", "--quiet"]
        subprocess.run([*pip, TIPG_REQUIREMENT, "uvicorn"], check=True)
    return TIPG_VENV / "bin"


def _tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def _tiles_over(bbox, zooms) -> list[tuple[int, int, int]]:
    west, south, east, north = bbox
    out = []
    for z in zooms:
        x0, y0 = _tile_xy(west, north, z)
        x1, y1 = _tile_xy(east, south, z)
        out += [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return out


def tile_set(engine) -> list[tuple[int, int, int]]:
    """Nationwide z5–z8 and Ninh Bình z10–z12, keeping tiles that hold a commune."""
    with engine.connect() as conn:
        nb = conn.execute(
            sa.text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
                "ST_Extent(geom) AS e FROM admin_unit WHERE parent_code = '37') s"
            )
        ).one()
        wanted = _tiles_over(VIETNAM, range(5, 9)) + _tiles_over(tuple(nb), range(10, 13))
        z, x, y = (list(c) for c in zip(*wanted, strict=True))
        kept = conn.execute(
            sa.text(
                "SELECT t.z, t.x, t.y FROM unnest(CAST(:z AS int[]), CAST(:x AS int[]), "
                "CAST(:y AS int[])) AS t(z, x, y) WHERE EXISTS (SELECT 1 FROM admin_unit a "
                "WHERE a.level = 'commune' AND a.geom && "
                "ST_Transform(ST_TileEnvelope(t.z, t.x, t.y), 4326)) ORDER BY t.z, t.x, t.y"
            ),
            {"z": z, "x": x, "y": y},
        ).all()
    tiles = [tuple(r) for r in kept]
    random.Random(SEED).shuffle(tiles)  # every stretch of a run sees the same mix of zooms
    return tiles


def _ours_paths(tiles) -> list[str]:
    return [f"/tiles/communes/{z}/{x}/{y}.mvt" for z, x, y in tiles]


def _tipg_paths(tiles, simplify: bool) -> list[str]:
    paths = []
    for z, x, y in tiles:
        path = (f"/collections/public.admin_unit/tiles/WebMercatorQuad/{z}/{x}/{y}"
                f"?level=commune&properties={PROPERTIES}")  # fmt: skip
        if simplify:
            path += f"&simplify={pixel_size_m(z) / 2 / WEB_MERCATOR_M_PER_DEG:.8f}"
        paths.append(path)
    return paths


def _features(data: bytes) -> int:
    import mapbox_vector_tile

    decoded = mapbox_vector_tile.decode(data)
    return sum(len(layer["features"]) for layer in decoded.values())


def _same_content(ours: str, tipg: str, tiles, token: str, section: Section) -> None:
    """Feature counts and sizes of a sample of tiles from each server."""
    sample = sorted(tiles)[:: max(1, len(tiles) // 12)]
    rows, headers = [], {"Authorization": f"Bearer {token}"}
    for tile, a, b, c in zip(sample, _ours_paths(sample), _tipg_paths(sample, False),
                             _tipg_paths(sample, True), strict=True):  # fmt: skip
        got = [httpx.get(base + p, headers=headers, timeout=60)
               for base, p in ((ours, a), (tipg, b), (tipg, c))]  # fmt: skip
        for response in got:
            response.raise_for_status()
        rows.append((
            "/".join(map(str, tile)), *(_features(r.content) for r in got),
            *(f"{len(r.content) / 1e3:.1f}" for r in got),
        ))  # fmt: skip
    section.line(f"Sample of {len(sample)} tiles (features; kB):")
    section.line()
    section.table(("tile", "tuquan", "tipg", "tipg simplified", "tuquan kB", "tipg kB",
                   "tipg simpl. kB"), rows)  # fmt: skip
    section.line()


def main() -> None:
    section = Section("tiles", "Vector tiles vs tipg")
    engine = bench_engine()
    tiles = tile_set(engine)
    token = viewer_token(engine, USER)
    url = server_url(Settings(), DATABASE).render_as_string(hide_password=False)
    python_bin = tipg_python()
    tipg_version = subprocess.run(
        [str(python_bin / "python"), "-c", "import tipg; print(tipg.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    logs = PROJECT_ROOT / ".tuquan" / "bench"
    ours_port, uncached_port, tipg_port = free_port(), free_port(), free_port()
    app = [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", *UVICORN_FLAGS]
    ours_cmd, uncached_cmd = [*app, "--port", str(ours_port)], [*app, "--port", str(uncached_port)]
    tipg_cmd = [str(python_bin / "uvicorn"), "tipg.main:app", "--port", str(tipg_port),
                *UVICORN_FLAGS]  # fmt: skip
    plain = server_url(Settings(), DATABASE).set(drivername="postgresql")  # asyncpg's scheme
    tipg_env = {
        "DATABASE_URL": plain.render_as_string(hide_password=False),
        "TIPG_DB_TABLES": '["public.admin_unit"]',
        "TIPG_DB_SCHEMAS": '["public"]',
    }
    section.line(
        f"{len(tiles)} tiles with communes (z5–z8 nationwide, z10–z12 Ninh Bình), 3,321 "
        f"communes; tipg {tipg_version}; {CONNECTIONS} connections, {SECONDS} s per run, "
        f"{REPEATS} runs per server alternating, one uvicorn worker each, wrk on loopback; "
        "tuquan twice: with its tile cache (default) and without (TUQUAN_TILE_CACHE_MB=0)"
    )
    section.line()
    with (
        server(ours_cmd, {"TUQUAN_DATABASE_URL": url}, ours_port, "/conformance",
               logs / "tiles-ours.log") as ours,
        server(uncached_cmd, {"TUQUAN_DATABASE_URL": url, "TUQUAN_TILE_CACHE_MB": "0"},
               uncached_port, "/conformance", logs / "tiles-ours-uncached.log") as uncached,
        server(tipg_cmd, tipg_env, tipg_port, "/collections", logs / "tiles-tipg.log") as tipg,
    ):  # fmt: skip
        _same_content(ours, tipg, tiles, token, section)
        contenders = {
            "tuquan": (ours, _ours_paths(tiles), "/conformance"),
            "tuquan, no tile cache": (uncached, _ours_paths(tiles), "/conformance"),
            "tipg": (tipg, _tipg_paths(tiles, False), "/healthz"),
            "tipg simplified": (tipg, _tipg_paths(tiles, True), "/healthz"),
        }
        for base, paths, ready in contenders.values():  # warm-up: caches, catalog, pools
            wrk(base, paths, token, CONNECTIONS, 5, ready=ready)
        runs: dict[str, list[LoadRun]] = {name: [] for name in contenders}
        for _ in range(REPEATS):
            for name, (base, paths, ready) in contenders.items():
                runs[name].append(wrk(base, paths, token, CONNECTIONS, SECONDS, ready=ready))
    rows = []
    for name, done in runs.items():
        rate, p50 = stats(r.rate for r in done), stats(r.p50_ms for r in done)
        p99, kb = stats(r.p99_ms for r in done), stats(r.mean_kb for r in done)
        rows.append((name, rate.show("tiles/s", 1), p50.show("ms", 1), p99.show("ms", 1),
                     f"{kb.median:.1f}", sum(r.errors for r in done)))  # fmt: skip
    section.table(("server", "throughput", "p50 latency", "p99 latency", "mean kB/tile",
                   "errors"), rows)  # fmt: skip
    section.line()
    # "tuquan" keeps rendered tiles until the data changes (every run after the warm-up is
    # served from memory); "no tile cache" renders every request, like tipg.
    for ours in ("tuquan", "tuquan, no tile cache"):
        ours_rate = stats(r.rate for r in runs[ours])
        for peer in ("tipg", "tipg simplified"):
            section.ratio(f"throughput {ours} / {peer}", ours_rate,
                          stats(r.rate for r in runs[peer]), higher_is_better=True)  # fmt: skip
            section.ratio(f"p99 latency {peer} / {ours}", stats(r.p99_ms for r in runs[ours]),
                          stats(r.p99_ms for r in runs[peer]))  # fmt: skip
    section.save()
    engine.dispose()


if __name__ == "__main__":
    main()
