"""Geocoder vs `vietnamadminunits` (the peer): throughput and accuracy on the same 10k set.

Both run on the same generated addresses (every noise class of the evaluation set, another
seed), in rounds (TUQUAN_BENCH_ROUNDS, default 5). Each round loads a new geocoder (nothing
remembered from the round before), empties the tuquan cache (cold) and geocodes the whole
batch (in as many processes as TUQUAN_GEOCODE_WORKERS gives: one per CPU by default; the
workers load their own gazetteer during the geocoder's load, whose CPU time counts theirs
as far as they got), then empties the cache and geocodes it again with the same geocoder
(its "next batch", with the same workers, as one serving requests has), then again cold in
one process (TUQUAN_GEOCODE_WORKERS=1), then runs the peer on every rounds-th address: over
the rounds the peer reads the whole batch once, in the same minutes as our batches, so
that a busy spell on a shared machine weighs on both alike. The ratio is the pooled one
(all our batches against the peer's whole pass), with each round's ratio for the spread;
CPU time is shown too (this process and its workers; it leaves out the database
server's share of our cache writes).

The peer wrapper (`Peer.code`) cannot know an address's form and parses it twice (2025 and
pre-2025). So that the ratio does not rest on that, each round also runs the peer called
once per address in the mode that fits its form (`Peer.code_once`: convert_address for
legacy addresses, parse_address for the others), and its ratio is reported beside.

Needs the local cluster (or TUQUAN_DATABASE_URL) and ../shared/data: a database
`tuquan_bench_geocode` with all national communes is created on first use and kept.

    .venv/bin/python -m bench geocode        (or `make bench` for every benchmark)
"""

from __future__ import annotations

import math
import multiprocessing
import os
import statistics
import time
from pathlib import Path

import sqlalchemy as sa

from bench._geocode_accuracy import accuracy
from bench._report import Section, stats
from gis import geocode_cache, migrations
from gis.boundaries import fetch_boundaries, load_boundary_file
from gis.boundary_reader import FieldMap
from gis.database import create_database, make_engine, server_url
from gis.geocode_workers import worker_count
from gis.geocoding import Geocoder
from gis.settings import PROJECT_ROOT, Settings
from tests.data.geocode.evaluation import (
    LabelledRow,
    Peer,
    legacy_form,
)
from tests.data.geocode.make_eval_set import NOISE_CLASSES, generate

BATCH = 10_000
SEED = 7  # not the evaluation set's seed: a check that the tuning generalises
DATABASE = "tuquan_bench_geocode"


def _matcher_build() -> str:
    """How the matcher runs here: compiled by setup.py (Cython) or from its sources."""
    from gis import address_match

    if address_match.__file__.endswith(".py"):
        return "Python sources (not compiled: TUQUAN_PURE_PYTHON, or a stale or failed build)"
    return "compiled with Cython (setup.py)"


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


def batch(shared: Path) -> list:
    """The benchmark's addresses (generated rows: text, noise class, expected answer)."""
    return generate(shared, math.ceil(BATCH / len(NOISE_CLASSES)), SEED)[:BATCH]


def _timed(run, *args) -> tuple[float, float, object]:
    """(wall s, CPU s of this process and the workers it forked, value) of run(*args)."""
    wall, cpu = time.perf_counter(), _cpu()
    value = run(*args)
    return time.perf_counter() - wall, _cpu() - cpu, value


def _cpu() -> float:
    """CPU s of this process and its workers: those reaped, and those alive (a geocoder's
    pool keeps its workers; one that ends by itself is reaped later)."""
    live = 0.0
    for worker in multiprocessing.active_children():  # (reaps those that ended)
        try:
            stat = Path(f"/proc/{worker.pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        live += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system + live


def _each(run, texts: list[str]) -> list:
    return [run(t) for t in texts]


def _each_once(run, texts: list[str], legacy: list[bool]) -> list:
    return [run(t, old) for t, old in zip(texts, legacy, strict=True)]


def main() -> None:
    section = Section("geocode", "Geocoding vs vietnamadminunits")
    out = section.line  # printed and kept for results.md
    shared = _shared_data()
    engine = _national_engine(shared)
    generated = batch(shared)
    rows = [
        LabelledRow(i, r.noise, r.text, r.expected_status, r.expected_code, [], r.note)
        for i, r in enumerate(generated)
    ]
    texts = [r.text for r in rows]
    legacy = [legacy_form(r) for r in rows]
    n = len(texts)
    rounds = int(os.environ.get("TUQUAN_BENCH_ROUNDS", "5"))
    out(f"{n:,} addresses, {len(set(texts)):,} distinct, {len(NOISE_CLASSES)} classes, "
          f"{rounds} rounds")  # fmt: skip
    out(f"tuquan's matcher: {_matcher_build()}")
    peer = Peer()
    peer_codes: list[str | None] = [None] * n
    once_codes: list[str | None] = [None] * n
    once_s: list[float] = []  # the peer called once per address, per round
    once_ratios = []
    runs: list[tuple[float, float, float, float, float]] = []  # load, ours, cpu, peer, cpu
    ratios, results = [], None
    solo_s: list[float] = []  # tuquan in one process (TUQUAN_GEOCODE_WORKERS=1)
    solo_ratios = []
    next_s: list[float] = []  # the same geocoder's next batch (its workers kept), cache cold
    next_ratios = []
    processes = worker_count(Settings().geocode_workers, len(set(texts)))
    for r in range(rounds):
        geocode_cache.clear(engine)
        load, load_cpu, geocoder = _timed(Geocoder.from_engine, engine)
        wall, cpu, got = _timed(geocoder.geocode_many, texts)
        geocode_cache.clear(engine)
        nxt, _, got_next = _timed(geocoder.geocode_many, texts)
        assert [x.as_dict() for x in got_next] == [x.as_dict() for x in got]
        next_s.append(nxt)
        geocode_cache.clear(engine)
        solo_geocoder = Geocoder.from_engine(engine, workers=1)
        solo, _, got_solo = _timed(solo_geocoder.geocode_many, texts)
        assert [x.as_dict() for x in got_solo] == [x.as_dict() for x in got]
        solo_s.append(solo)
        if results is None:
            results = got
            warm_s, _, warm = _timed(geocoder.geocode_many, texts)
            assert [x.commune_code for x in warm] == [x.commune_code for x in got]
        assert [x.as_dict() for x in got] == [x.as_dict() for x in results]  # same each round
        # Each round starts as the first does: no worker of this one still exiting (the
        # kernel's teardown of its pages would run during the next round's first batch).
        geocoder.close()
        solo_geocoder.close()
        # The peer reads every rounds-th address here: all the batch once over the rounds,
        # in the same minutes as our batches (noise classes mixed in every slice).
        share = range(r, n, rounds)
        p_wall, p_cpu, codes = _timed(_each, peer.code, [texts[i] for i in share])
        for i, code in zip(share, codes, strict=True):
            peer_codes[i] = code
        o_wall, _, codes = _timed(
            _each_once, peer.code_once, [texts[i] for i in share], [legacy[i] for i in share]
        )
        for i, code in zip(share, codes, strict=True):
            once_codes[i] = code
        once_s.append(o_wall)
        once_ratios.append((n / wall) / (len(share) / o_wall))
        solo_ratios.append((n / solo) / (len(share) / o_wall))
        next_ratios.append((n / nxt) / (len(share) / o_wall))
        runs.append((load, wall, cpu, p_wall, p_cpu))
        ratios.append((n / wall) / (len(share) / p_wall))
        out(f"round {r + 1}: gazetteer load {load:5.2f} s (cpu {load_cpu:4.2f} s) | "
              f"tuquan cold {wall:5.2f} s "
              f"{n / wall:7,.0f}/s (cpu {cpu:4.2f} s) | peer on {len(share):,} of them "
              f"{p_wall:6.2f} s {len(share) / p_wall:5,.0f}/s (cpu {p_cpu:5.2f} s) | "
              f"ratio {ratios[-1]:4.1f}x | peer once {len(share) / o_wall:5,.0f}/s "
              f"ratio {once_ratios[-1]:4.1f}x | next batch {n / nxt:6,.0f}/s ratio "
              f"{next_ratios[-1]:4.1f}x | tuquan in 1 process {n / solo:6,.0f}/s "
              f"ratio {solo_ratios[-1]:4.1f}x")  # fmt: skip
    parse_s, _, _ = _timed(_each, peer._parse, texts)  # one 2025 parse each
    load_s, ours_s, ours_cpu, peer_s, peer_cpu = (list(x) for x in zip(*runs, strict=True))
    ours_rate, peer_rate = rounds * n / sum(ours_s), n / sum(peer_s)
    out(
        f"tuquan  cold cache    {ours_rate:9,.0f} addresses/s ({rounds} batches of {n:,}; "
        f"{processes} processes: TUQUAN_GEOCODE_WORKERS, one per CPU by default)"
    )
    out(f"tuquan  next batch    {rounds * n / sum(next_s):9,.0f} addresses/s (the same "
          "geocoder again, cache emptied: its workers are kept from the first batch)")  # fmt: skip
    out(f"tuquan  in 1 process  {rounds * n / sum(solo_s):9,.0f} addresses/s "
          "(TUQUAN_GEOCODE_WORKERS=1)")  # fmt: skip
    out(f"tuquan  warm cache    {n / warm_s:9,.0f} addresses/s")
    out(f"peer                  {peer_rate:9,.0f} addresses/s (2025 parse + pre-2025 parse, "
          "converted when it reads better)")  # fmt: skip
    once_rate = n / sum(once_s)
    out(f"peer, once per address {once_rate:8,.0f} addresses/s (one call in the mode of the "
          f"address form: convert_address for {sum(legacy):,} legacy, parse_address for "
          f"{n - sum(legacy):,} others)")  # fmt: skip
    out(f"peer, one 2025 parse  {n / parse_s:9,.0f} addresses/s (raw speed, no pre-2025 "
          f"parse or conversion; tuquan/this: {ours_rate * parse_s / n:.1f}x)")  # fmt: skip
    out(f"throughput ratio tuquan/peer (cold): {ours_rate / peer_rate:.1f}x over all rounds; "
          f"per round min {min(ratios):.1f}x  median {statistics.median(ratios):.1f}x  "
          f"max {max(ratios):.1f}x")  # fmt: skip
    out(f"throughput ratio tuquan/peer called once per address (cold): "
          f"{ours_rate / once_rate:.1f}x over all rounds; per round min {min(once_ratios):.1f}x  "
          f"median {statistics.median(once_ratios):.1f}x  max {max(once_ratios):.1f}x")  # fmt: skip
    out(f"throughput ratio tuquan next batch / peer called once per address (cold): "
          f"{rounds * n / sum(next_s) / once_rate:.1f}x over all rounds; per round min "
          f"{min(next_ratios):.1f}x  median {statistics.median(next_ratios):.1f}x  "
          f"max {max(next_ratios):.1f}x")  # fmt: skip
    out(f"throughput ratio tuquan in 1 process / peer called once per address (cold): "
          f"{rounds * n / sum(solo_s) / once_rate:.1f}x over all rounds; per round min "
          f"{min(solo_ratios):.1f}x  median {statistics.median(solo_ratios):.1f}x  "
          f"max {max(solo_ratios):.1f}x")  # fmt: skip
    cpu_ratio = (rounds * n / sum(ours_cpu)) / (n / sum(peer_cpu))
    loaded_ratio = (rounds * n / (sum(ours_s) + sum(load_s))) / peer_rate
    out(f"  in CPU time of this process and its workers: {cpu_ratio:.1f}x (our database "
          f"server's share not counted); with the gazetteer load in every batch: "
          f"{loaded_ratio:.1f}x")  # fmt: skip
    peer_rates = stats(len(range(r, n, rounds)) / w for r, w in enumerate(peer_s))
    section.figure("tuquan cold cache, per round", stats(n / w for w in ours_s), "addresses/s", 0)
    section.figure("peer, per round", peer_rates, "addresses/s", 0)
    section.figure("**ratio** throughput tuquan / peer, per round", stats(ratios), "×", 1)
    section.figure(
        f"**ratio** throughput tuquan ({processes} processes) / peer called once per address, "
        "per round",
        stats(once_ratios), "×", 1,
    )  # fmt: skip
    section.figure(
        "**ratio** throughput tuquan, the geocoder's next batch / peer called once per "
        "address, per round",
        stats(next_ratios), "×", 1,
    )  # fmt: skip
    section.figure(
        "ratio throughput tuquan in 1 process / peer called once per address, per round",
        stats(solo_ratios), "×", 1,
    )  # fmt: skip
    accuracy(section, rows, results, peer_codes, once_codes)
    _clustered(section, engine, rows, peer)
    section.save()
    engine.dispose()


def _clustered(section: Section, engine, rows: list[LabelledRow], peer: Peer) -> None:
    """Supplement: a batch shaped like an officer's file, where many addresses fall in the
    same communes and differ in their house, lane and village parts (10,000 addresses over
    500 communes). Both geocoders read it cold; the peer once per address on 2,000."""
    import random

    rng = random.Random(SEED)
    bases = rng.sample([r for r in rows if r.noise in ("clean_new", "legacy", "abbreviated",
                                                       "no_diacritics")], 500)  # fmt: skip
    batch = []
    for i in range(BATCH):
        base = bases[i % len(bases)]
        prefix = f"số {rng.randint(1, 300)} ngõ {rng.randint(1, 80)}, thôn {rng.randint(1, 15)}"
        batch.append((f"{prefix}, {base.text}", base))
    texts = [t for t, _ in batch]
    geocode_cache.clear(engine)
    geocoder = Geocoder.from_engine(engine)
    wall, _, got = _timed(geocoder.geocode_many, texts)
    sample = batch[:2000]
    p_wall, _, codes = _timed(
        _each_once, peer.code_once, [t for t, _ in sample], [legacy_form(b) for _, b in sample]
    )
    expected = [b.expected_code for _, b in batch]
    ours_right = sum(r.commune_code == e for r, e in zip(got, expected, strict=True))
    peer_right = sum(c == e for c, e in zip(codes, expected, strict=False))  # the first 2,000
    section.line(
        f"supplement, an officer-style file ({BATCH:,} addresses over {len(bases)} communes, "
        f"house/lane/village parts varying; cold): tuquan {BATCH / wall:,.0f}/s, right "
        f"{ours_right / BATCH:.1%}; peer once per address {len(sample) / p_wall:,.0f}/s, right "
        f"{peer_right / len(sample):.1%}; ratio {(BATCH / wall) / (len(sample) / p_wall):.1f}x "
        "(one run)"
    )


if __name__ == "__main__":
    main()
