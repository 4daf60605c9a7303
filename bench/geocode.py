"""Geocoder vs `vietnamadminunits` (the peer): throughput and accuracy on the same 10k set.

Both run in this process on the same generated addresses (every noise class of the
evaluation set, another seed); the tuquan cache is emptied first (cold). Needs the local
cluster (or TUQUAN_DATABASE_URL) and ../shared/data: a database `tuquan_bench_geocode` with
all national communes is created on first use and kept for later runs.

    .venv/bin/python -m bench geocode        (or `make bench` for every benchmark)
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import sqlalchemy as sa

from gis import geocode_cache, migrations
from gis.boundaries import fetch_boundaries, load_boundary_file
from gis.boundary_reader import FieldMap
from gis.database import create_database, make_engine, server_url
from gis.geocoding import Geocoder
from gis.settings import PROJECT_ROOT, Settings
from tests.data.geocode.evaluation import LabelledRow, Peer, accuracy_by_class, overall
from tests.data.geocode.make_eval_set import NOISE_CLASSES, generate

BATCH = 10_000
SEED = 7  # not the evaluation set's seed: a check that the tuning generalises
DATABASE = "tuquan_bench_geocode"


def _shared_data() -> Path:
    for c in (os.environ.get("TUQUAN_SHARED_DATA"), PROJECT_ROOT.parent / "shared" / "data"):
        if c and (Path(c) / "national").is_dir():
            return Path(c)
    raise SystemExit("../shared/data is missing: set TUQUAN_SHARED_DATA")


def _national_engine(shared: Path):
    settings = Settings()
    url = server_url(settings, DATABASE)
    create_database(url)
    engine = make_engine(url)
    migrations.upgrade(engine)
    with engine.connect() as conn:
        communes = conn.scalar(sa.text("SELECT count(*) FROM admin_unit WHERE level='commune'"))
    if communes < 3321:
        print("loading the national communes into", DATABASE, "(once, ~30 s)")
        local = Settings(database_url=url.render_as_string(hide_password=False), home=settings.home)
        fetch_boundaries(engine, local, "all", source=str(shared / "vietnamese-provinces-database"))
        fields = FieldMap(
            code="code", name="name", full_name="fullName", name_en="nameEn",
            parent="province_code",
        )  # fmt: skip
        national = shared / "national" / "vn_wards_2025_simplified.geojson.gz"
        load_boundary_file(engine, national, "commune", fields)
    return engine


def main() -> None:
    shared = _shared_data()
    engine = _national_engine(shared)
    per_class = math.ceil(BATCH / len(NOISE_CLASSES))
    generated = generate(shared, per_class, SEED)[:BATCH]
    rows = [
        LabelledRow(i, r.noise, r.text, r.expected_status, r.expected_code, [], r.note)
        for i, r in enumerate(generated)
    ]
    texts = [r.text for r in rows]
    print(f"{len(texts):,} addresses, {len(set(texts)):,} distinct, {len(NOISE_CLASSES)} classes")

    geocode_cache.clear(engine)
    start = time.perf_counter()
    geocoder = Geocoder.from_engine(engine)
    loaded = time.perf_counter()
    results = geocoder.geocode_many(texts)
    done = time.perf_counter()
    warm = geocoder.geocode_many(texts)
    warm_s = time.perf_counter() - done
    assert [r.commune_code for r in warm] == [r.commune_code for r in results]

    peer = Peer()
    peer_start = time.perf_counter()
    peer_codes = [peer.code(t) for t in texts]
    peer_s = time.perf_counter() - peer_start

    parse_start = time.perf_counter()
    for t in texts:
        peer._parse(t)  # one parse, 2025 mode: the peer's raw speed (no old→new conversion)
    parse_s = time.perf_counter() - parse_start

    ours_s = done - loaded
    ours_rate, peer_rate = len(texts) / ours_s, len(texts) / peer_s
    print(f"gazetteer load        {loaded - start:6.2f} s (once per process)")
    print(f"tuquan  cold cache    {ours_s:6.2f} s  {ours_rate:9,.0f} addresses/s")
    print(f"tuquan  warm cache    {warm_s:6.2f} s  {len(texts) / warm_s:9,.0f} addresses/s")
    print(
        f"peer                  {peer_s:6.2f} s  {peer_rate:9,.0f} addresses/s "
        "(2025 parse + pre-2025 parse, converted when it reads better)"
    )
    print(
        f"peer, one 2025 parse  {parse_s:6.2f} s  {len(texts) / parse_s:9,.0f} addresses/s "
        f"(raw speed; ratio tuquan/this: {len(texts) / ours_s / (len(texts) / parse_s):.1f}x)"
    )
    print(f"throughput ratio tuquan/peer (cold): {ours_rate / peer_rate:.1f}x "
          f"(with the gazetteer load: {len(texts) / (done - start) / peer_rate:.1f}x)")  # fmt: skip

    codes = [r.commune_code if r.status == "matched" else None for r in results]
    ours, theirs = accuracy_by_class(rows, codes), accuracy_by_class(rows, peer_codes)
    print(f"{'noise class':16s} {'n':>5s} {'tuquan':>8s} {'peer':>8s} {'diff':>7s}")
    for noise in NOISE_CLASSES:
        a, b = ours[noise], theirs[noise]
        print(f"{noise:16s} {a.total:5d} {a.accuracy:8.1%} {b.accuracy:8.1%} "
              f"{(a.accuracy - b.accuracy) * 100:+6.1f}")  # fmt: skip
    print(f"{'overall':16s} {sum(s.total for s in ours.values()):5d} {overall(ours):8.1%} "
          f"{overall(theirs):8.1%}")  # fmt: skip
    confident = [r for r in results if r.status == "matched" and r.score >= 0.9]
    wrong = [
        (row.text, r.commune_code, row.expected_code)
        for row, r in zip(rows, results, strict=True)
        if r.status == "matched" and r.score >= 0.9 and r.commune_code != row.expected_code
    ]
    share = 1 - len(wrong) / len(confident) if confident else 1.0
    print(f"matched with score >= 0.9: {len(confident):,}, right: {share:.2%}")
    for text, got, want in wrong[:10]:
        print(f"  wrong: {text!r} → {got} (expected {want})")
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    print("statuses:", statuses)
    for noise in NOISE_CLASSES:
        for failure in ours[noise].failures[:3]:
            print(f"  miss [{noise}] {failure}")
    engine.dispose()


if __name__ == "__main__":
    main()
