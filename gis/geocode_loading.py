"""Loading a geocoder: its gazetteer, its preloaded batch workers, and the garbage collector.

The gazetteer (~55k objects, ~65 MB) lives as long as the geocoder. Loaded before the batch
workers are forked, it would be shared with them copy-on-write: every batch process writes
reference counts all over the objects it reads, so the first large batch would copy ~25k
pages between the two (~0.1 CPU-s in the kernel), after a fork of the whole loaded process
(~15–20 ms). So the workers are forked first, once the package's units are read (as plain
records, which a build only reads), and each builds a gazetteer of its own at the same time
as the caller: its units while the caller waits on PostGIS, then, once the caller hands it
what it read there (`Boundaries`: the database's work is not done twice), the join and the
indexes. They share nothing the matching touches afterwards. The cost: each worker's build
(~0.3 CPU-s, on a core otherwise idle meanwhile) and memory: ~100 MB more for the two
processes of a 2-CPU machine after a 10k-address batch (PSS 514 MB against 408 MB when the
worker shared the caller's pages).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable
from functools import partial

from sqlalchemy.engine import Engine

from gis.gazetteer import Boundaries, Gazetteer, source_units
from gis.gazetteer_sources import read_sources
from gis.geocode_pool import Loaded, Worker
from gis.geocode_workers import process_count

__all__ = ["collector_paused", "load", "settle"]

# In a worker: its own gazetteer → (work, after_batch) of a geocoder of its own.
Build = Callable[[Gazetteer], Loaded]


def load(engine: Engine, workers: int, build: Build) -> tuple[Gazetteer, list[Worker]]:
    """The gazetteer, and the batch workers that ``workers`` (as `Geocoder.workers`) asks
    for, each building its own meanwhile (``build``) and joining batches once ready."""
    n = process_count(workers) - 1
    if n:
        read_sources()  # the package's units, read once (kept) for this process and theirs
        # Collected and frozen now: the collection after the load (`settle`) then scans only
        # what the load made, not every object the fork left shared (it would write to all
        # their pages, copying each: ~0.15 s here).
        settle()
    preloaded = [Worker.loading(partial(_in_worker, build)) for _ in range(n)]
    try:
        gazetteer = Gazetteer.from_engine(engine)
    except BaseException:
        for worker in preloaded:
            worker.stop(wait=True)
        raise
    for worker in preloaded:
        worker.provide(gazetteer.read)
    return gazetteer, preloaded


def _in_worker(build: Build, receive: Callable[[], Boundaries]) -> Loaded:
    """In a preloaded worker, right after its fork."""
    # What the fork copied is the caller's: never collected here (a collection could run a
    # finalizer on a socket the caller shares, such as a database connection's).
    gc.freeze()
    units = source_units()  # while the caller reads PostGIS
    loaded = build(Gazetteer.from_boundaries(units, receive()))
    settle()
    gc.disable()  # for good, as in a batch (`collector_paused`): memos go after each batch
    return loaded


@contextlib.contextmanager
def collector_paused():
    """No cyclic garbage collection while a batch runs (the previous state is restored).

    A batch makes no reference cycles: what it allocates is freed by reference count, so
    the collector finds nothing to free, yet it would rescan the batch's growing memos each
    time allocations cross its thresholds (~0.5 s of a 10k-address batch here, a quarter).
    The memos are dropped before the collector resumes (`Geocoder.geocode_many`), so only
    the results are left for it to look at, once.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def settle() -> None:
    """Take what was just loaded out of the cyclic garbage collector's rounds.

    The gazetteer lives as long as the process. Left to the collector, every full
    collection rescans it with everything else alive (~300k objects, 0.3 s each here;
    three fell in each 10k-address batch). A collection first, so that no garbage is kept,
    then `gc.freeze` (frozen objects are still freed by reference count).
    """
    gc.collect()
    gc.freeze()
